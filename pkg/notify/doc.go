// Package notify announces to a chat's incoming webhook (Slack's or Mattermost's) what lands on
// watched repositories: new evidence, votes, and decisions that flip.
package notify
