package chatops

import (
	"fmt"
	"strings"

	"github.com/gatehq/gate/pkg/release"
)

// statusRows is how many digests a chat answer shows: a chat message is
// read at a glance; gate serve and gate status show more.
const statusRows = 5

// escape makes a string from the registry or from signed evidence inert in
// Slack's mrkdwn: no link, no mention (<!channel>), no markup of its own.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "`", "'").Replace(s)
}

func short(d string) string {
	if alg, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
		return alg + ":" + hex[:12]
	}
	return d
}

// statusText is the release table as a compact chat message.
func statusText(t *release.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%s*, newest build first:\n", escape(t.Repository))
	for _, f := range t.Freezes {
		fmt.Fprintf(&b, ":snowflake: *%s*; only rollbacks are admitted there.\n", escape(f.Description))
	}
	if len(t.Rows) == 0 {
		b.WriteString("no tag names an image here.\n")
	}
	for _, r := range t.Rows {
		fmt.Fprintf(&b, "• `%s` %s\n", short(r.Digest), escape(strings.Join(r.Tags, ", ")))
		for _, v := range r.Verdicts {
			if v.Blessed {
				mark := ""
				if v.Rollback {
					mark = " (rollback target: blessed before the freeze)"
				}
				fmt.Fprintf(&b, "    %s: *BLESSED*%s\n", escape(v.Environment), mark)
				continue
			}
			var gaps []string
			for _, g := range v.Missing {
				gaps = append(gaps, escape(g.Name+" ("+g.Reason+")"))
			}
			fmt.Fprintf(&b, "    %s: *NOT BLESSED*: %s\n", escape(v.Environment), strings.Join(gaps, "; "))
		}
		for _, v := range r.Votes {
			fmt.Fprintf(&b, "    %s %s (%s): “%s”\n", v.Decision, escape(v.Role), escape(v.Signer), escape(v.Reason))
		}
	}
	return b.String()
}

// blessedText lists the rollback targets.
func blessedText(t *release.Table, env string) string {
	rows := release.Blessed(t, env)
	frozen := ""
	if f, ok := t.Frozen(env); ok {
		frozen = fmt.Sprintf(":snowflake: *%s*; only the digests blessed before the freeze are listed.\n", escape(f.Description))
	}
	if len(rows) == 0 {
		return frozen + fmt.Sprintf("Nothing tagged in %s is blessed in %s: `gate status %s` shows what each digest lacks.", escape(t.Repository), escape(env), escape(t.Repository))
	}
	var b strings.Builder
	b.WriteString(frozen)
	fmt.Fprintf(&b, "Blessed in %s, newest first (the rollback targets):\n", escape(env))
	for _, r := range rows {
		fmt.Fprintf(&b, "• `%s` %s\n", escape(r.Reference), escape(strings.Join(r.Tags, ", ")))
	}
	return b.String()
}
