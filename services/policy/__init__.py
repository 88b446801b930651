"""The triage policy as one library every service shares: the ruleset file's language (`ruleset_model`,
`ruleset_conditions`), loading, checking, compiling and explaining it (`ruleset/`), the facts a rule can test
(`facts`), `engine.decide` (pure), the worked cases (`golden`), the what-if comparison (`whatif`, `whatif_run`)
and the rule files (`rules/`). It imports only `schemas` and `services.common`; triage, intake, the register and
the portal import it, never each other."""
