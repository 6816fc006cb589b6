package policy

import (
	"fmt"
	"io"
	"strings"
)

// markdownChanges bounds the decisions shown in each section of the
// Markdown: a pull-request comment holds at most 65,536 characters, and a
// reviewer reads the first few dozen; the JSON output has them all.
const markdownChanges = 25

// DiffMarker opens every Markdown diff, so that a pipeline can find the
// comment it posted before and update it rather than add another.
const DiffMarker = "<!-- gate policy diff -->"

// WriteMarkdown writes d as a pull-request comment: a summary line, each
// flipped decision with the gates that change and both sides' reasons, then,
// folded, the decisions whose reasons change without a flip.
func (d *Diff) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n### gate policy diff: `%s` → %s\n\n", DiffMarker, d.Base, d.Head)
	revoked, granted := d.Flips()
	switch {
	case len(d.Flipped) == 0 && len(d.Changed) == 0:
		fmt.Fprintf(&b, "**No decision changes** among %s.\n", plural(d.Decisions, "decision"))
	case len(d.Flipped) == 0:
		fmt.Fprintf(&b, "**No decision flips** among %s; %s.\n", plural(d.Decisions, "decision"), strings.Replace(changes(len(d.Changed)), " more", "", 1))
	default:
		fmt.Fprintf(&b, "**%d of %s flip**: %d blessed → not blessed, %d not blessed → blessed", len(d.Flipped), plural(d.Decisions, "decision"), revoked, granted)
		if len(d.Changed) > 0 {
			fmt.Fprintf(&b, "; %s", changes(len(d.Changed)))
		}
		b.WriteString(".\n")
	}
	d.writeChanges(&b, d.Flipped)
	if len(d.Changed) > 0 {
		fmt.Fprintf(&b, "\n<details>\n<summary>%s without a flip</summary>\n", plural(len(d.Changed), "decision whose reasons change"))
		d.writeChanges(&b, d.Changed)
		b.WriteString("\n</details>\n")
	}
	if len(d.Policies) > 0 {
		b.WriteString("\n<sub>policy versions: ")
		for i, v := range d.Policies {
			if i > 0 {
				b.WriteString("; ")
			}
			if v.Base == v.Head {
				fmt.Fprintf(&b, "%s `%s` (unchanged)", v.Environment, short(v.Base))
			} else {
				fmt.Fprintf(&b, "%s `%s` → `%s`", v.Environment, short(v.Base), short(v.Head))
			}
		}
		b.WriteString("</sub>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (d *Diff) writeChanges(b *strings.Builder, changes []Change) {
	for i, c := range changes {
		if i == markdownChanges {
			fmt.Fprintf(b, "\n…and %d more: see `gate policy diff --output json`.\n", len(changes)-i)
			return
		}
		d.writeChange(b, c)
	}
}

func (d *Diff) writeChange(b *strings.Builder, c Change) {
	title := "🔴 blessed → not blessed"
	switch {
	case c.Flipped() && !c.Base.Allowed:
		title = "🟢 not blessed → blessed"
	case !c.Flipped() && c.Base.Allowed:
		title = "blessed, reasons change"
	case !c.Flipped():
		title = "not blessed, reasons change"
	}
	image := c.Image
	if image == "" {
		image = c.Digest
	}
	fmt.Fprintf(b, "\n#### %s: `%s` (%s)\n\n`%s` · %s\n\n", title, image, cell(c.Environment), c.Digest, cell(c.Source))
	fmt.Fprintf(b, "| gate | `%s` | %s |\n|---|---|---|\n", d.Base, d.Head)
	if c.Base.Error != c.Head.Error {
		fmt.Fprintf(b, "| (could not decide) | %s | %s |\n", cell(c.Base.Error), cell(c.Head.Error))
	}
	for _, g := range c.Gates {
		name := cell(g.Name)
		if g.Base == nil || g.Head == nil || g.Base.Passed != g.Head.Passed {
			name = "**" + name + "**" // the gates that turn
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", name, gateCell(g.Base), gateCell(g.Head))
	}
}

func gateCell(g *Gate) string {
	switch {
	case g == nil:
		return "—"
	case g.Passed:
		return "✅ " + cell(g.Reason)
	default:
		return "❌ " + cell(g.Reason)
	}
}

// cell makes s safe in a Markdown table cell: evidence (test names, package
// names) reaches reasons, and must neither break the table nor inject HTML.
var cellEscaper = strings.NewReplacer("|", `\|`, "\r", "", "\n", "<br>", "&", "&amp;", "<", "&lt;", ">", "&gt;", "`", "\\`")

func cell(s string) string {
	if s == "" {
		return "—"
	}
	return cellEscaper.Replace(s)
}

// plural is "1 decision", "2 decisions", "2 decisions whose …": only the
// first word takes an s.
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	head, tail, _ := strings.Cut(what, " ")
	return strings.TrimSpace(fmt.Sprintf("%d %ss %s", n, head, tail))
}

func changes(n int) string {
	if n == 1 {
		return "1 more changes its reasons only"
	}
	return fmt.Sprintf("%d more change their reasons only", n)
}

// short is a digest's first 12 hex digits.
func short(digest string) string {
	alg, hex, ok := strings.Cut(digest, ":")
	if !ok || len(hex) <= 12 {
		return digest
	}
	return alg + ":" + hex[:12]
}
