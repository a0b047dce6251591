package codelist

// ProceduresSupplement returns the list that holds, by hand, the procedure
// codes that later versions of the Procedures list add to the generated
// 2022-12 one, as far as SPEC.md states them (§2.2, the Procedure slot;
// §6 item "new procedures"):
// V5 (driving licence), X7 (short-term rental), X9 (repair/refurbished goods),
// AM1 (professional qualifications), all present in the TDD 1.2.5 code
// lists, and 00 (system check). The official 1.2.5/2.0.1 files are not
// available here: the names are SPEC.md's short descriptions, not the list's
// wording, and codes of those lists that SPEC.md does not name are missing.
//
// It is kept apart from the generated lists (it is not returned by All or
// ByName) so that the generated data stays exactly the official 2022-12 lists.
func ProceduresSupplement() *List { return proceduresSupplement }

var proceduresSupplement = &List{
	ShortName: "Procedures",
	LongName:  "Procedure codes added after 2022-12 (supplement from SPEC.md §2.2 and §6)",
	Version:   "supplement",
	Columns: []Column{
		{ID: "code", ShortName: "Code", Required: true, Type: "normalizedString", Lang: "en"},
		{ID: ColumnValue, ShortName: "Name", Type: "string", Lang: "Value"},
	},
	Key:    "code",
	Source: "SPEC.md §2.2, §6",
	Notes: []string{
		"hand-written: the TDD 1.2.5 and 2.0.1 Procedures lists are not available; names are SPEC.md's short descriptions",
	},
	fields: []string{"code", ColumnValue},
	rows: [][]string{ // sorted by code
		{"00", "System check"},
		{"AM1", "Professional qualifications"},
		{"V5", "Driving licence"},
		{"X7", "Short-term rental"},
		{"X9", "Repair/refurbished goods"},
	},
}

// KnownProcedure reports whether code is a procedure code for the EDM
// specification version spec (an identifier such as "oots-edm:v1.0"):
// the generated Procedures list for every version, and ProceduresSupplement
// too for "oots-edm:v1.2" (TDD 1.2.5) and "oots-edm:v2.0".
func KnownProcedure(code, spec string) bool {
	if Procedures().Contains(code) {
		return true
	}
	switch spec {
	case "oots-edm:v1.2", "oots-edm:v2.0":
		return ProceduresSupplement().Contains(code)
	}
	return false
}
