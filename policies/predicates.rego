package gate.blessed

# required_predicates: evidence of each named predicate type must be present
# (any type, such as one attested with `gate attest --predicate FILE --type
# URI`); the trust config's maySign says who may sign it. Gates
# predicate/<type>.

_known_params contains "required_predicates"

predicate_types contains t if {
	_configured("required_predicates")
	some t in _strings(params.required_predicates)
}

gates contains {
	"name": sprintf("predicate/%s", [t]),
	"passed": n > 0,
	"reason": _required_reason(t, n),
	"next": sprintf("gate attest IMAGE --predicate FILE --type %s --key KEY, signed by a role whose maySign lists it; or change `required_predicates` in the environment's data", [t]),
} if {
	_configured("required_predicates")
	some t in _strings(params.required_predicates)
	n := count(_predicates(t))
}

_required_reason(t, 0) := sprintf("no verified attestation of type %s", [t])

_required_reason(t, n) := sprintf("%s of type %s", [_plural(n, "attestation"), t]) if n > 0

_param_problems contains "required_predicates must be a list of predicate type URIs" if {
	_configured("required_predicates")
	not _predicate_type_list(params.required_predicates)
}

_predicate_type_list(x) if {
	_string_list(x)
	every t in x {
		contains(t, "://")
	}
}
