package demo

// trustConfig is the demo's gate.yaml: the same format a user writes.
const trustConfig = `roles:
  ci:
    keys: [ci.pub]
    maySign: [tests, vulns, coverage, provenance]
  module-lead:
    keys: [module-lead.pub]
    maySign: [approval]
  qa:
    keys: [qa.pub]
    maySign: [approval]
  sre:
    keys: [sre.pub]
    maySign: [approval]
environments:
  demo:
    policy: policies
    data: demo-data.json
defaultEnvironment: demo
`

// demoData configures the shipped policy for the demo's pipeline.
const demoData = `{
  "required_tests": ["unit", "integration"],
  "min_coverage": 75,
  "deny_severity": "HIGH",
  "provenance": {
    "builders": ["https://ci.acme.example/builders/release"],
    "sources": ["git+https://git.acme.example/shop"]
  },
  "approvals": {"module-lead": 1, "qa": 1, "sre": 1},
  "max_approval_age": "168h"
}
`
