package gate.blessed

# Params that would quietly turn a gate off, such as a misspelt key or a
# string where a list belongs, fail the "params" gate instead. The gate is
# there only when something is wrong; data/schema.json says the same to
# editors and CI.
gates contains {"name": "params", "passed": false, "reason": concat("; ", sort(_param_problems))} if {
	count(_param_problems) > 0
}

_param_problems contains sprintf("unknown key %q", [key]) if {
	some key in _param_keys
	not key in _known_params
}

# Each file of gates adds the keys it reads.
_known_params contains key if some key in {"required_tests", "min_coverage", "deny_severity", "provenance", "approvals", "max_approval_age", "required_checks", "max_age", "same_source_commit"}

_param_problems contains "required_tests must be a list of stage names" if {
	_configured("required_tests")
	not _string_list(params.required_tests)
}

_param_problems contains "min_coverage must be a number" if {
	_configured("min_coverage")
	not is_number(params.min_coverage)
}

_param_problems contains "provenance must have lists of builders and sources" if {
	_configured("provenance")
	not _provenance_params
}

_param_problems contains "approvals must map roles to numbers of signers" if {
	_configured("approvals")
	not _approvals_params
}

_param_problems contains sprintf("max_approval_age %v is not a duration such as 168h", [params.max_approval_age]) if {
	_configured("max_approval_age")
	not _duration(params.max_approval_age)
}

_param_problems contains "required_checks must map roles to lists of checklist items ([a-z0-9-]+)" if {
	_configured("required_checks")
	not _required_checks_params
}

_required_checks_params if {
	is_object(params.required_checks)
	every items in params.required_checks {
		_string_list(items)
		every i in items {
			regex.match(`^[a-z0-9-]+$`, i)
		}
	}
}

_param_problems contains "max_age must map predicate types to durations such as 168h" if {
	_configured("max_age")
	not _max_age_params
}

_max_age_params if {
	is_object(params.max_age)
	every d in params.max_age {
		is_string(d)
		_duration(d)
	}
}

_param_problems contains "same_source_commit must be true or false" if {
	_configured("same_source_commit")
	not is_boolean(params.same_source_commit)
}

# A call nested in a negation is taken out of it, so its error would make the
# whole rule undefined: the call must sit in a rule of its own.
_duration(s) if is_number(time.parse_duration_ns(s))

_string_list(x) if {
	is_array(x)
	every s in x {
		is_string(s)
	}
}

_provenance_params if {
	_string_list(params.provenance.builders)
	_string_list(params.provenance.sources)
}

_approvals_params if {
	is_object(params.approvals)
	every n in params.approvals {
		is_number(n)
	}
}
