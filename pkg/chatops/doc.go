// Package chatops answers the chat slash command /gate (status, blessed, approve) from the release table, for requests Slack signed.
package chatops
