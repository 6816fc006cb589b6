package demo

import "path/filepath"

// handOver tells a person where everything the story used is, and the
// commands to go on with, for `gate demo --keep`.
func (d *demo) handOver() {
	d.heading("Your turn: the registry stays up until Ctrl-C")
	d.say("registry  %s (images %s/acme/shop:1.0, :1.1-failing, :1.2-waiting)", d.host, d.host)
	d.say("config    %s", filepath.Join(d.dir, "gate.yaml"))
	d.say("policy    %s, data %s", filepath.Join(d.dir, "policies"), filepath.Join(d.dir, "demo-data.json"))
	for _, role := range roles {
		d.say("key       %-12s %s", role, filepath.Join(d.dir, role+".key"))
	}
	d.say("\nIn another terminal:")
	d.say("  export COSIGN_PASSWORD=%s GATE_CONFIG=%s", password, filepath.Join(d.dir, "gate.yaml"))
	d.say("  gate verify %s/acme/shop:1.2-waiting", d.host)
	d.say("  gate approve %s/acme/shop:1.2-waiting --key %s --role sre --decision go --reason \"runbook written\"", d.host, filepath.Join(d.dir, "sre.key"))
	d.say("  gate verify %s/acme/shop:1.2-waiting", d.host)
	d.say("Ctrl-C ends the registry (it keeps everything in memory) and removes %s.", d.dir)
}
