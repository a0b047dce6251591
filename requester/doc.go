// Package requester is the OOTS connector of an evidence requester
// (procedure portal or intermediary platform), SPEC.md §1.2 steps 2–6.
// Service (api.go) is its interface to portals.
package requester
