// Package demo is the data of the demo network (package demonet, "oots
// demo"), kept out of the packages that run in production: the Member
// States of the demo (Countries), the test persons of their identity
// providers (Users, for idp.Config.Users), the data set of the Common
// Services (CommonServices, Load, LoadIn, Submissions) and the registers of
// the evidence providers (Records, Authorities), which hold evidence about
// those persons for the evidence types of that data set.
package demo

// Countries returns the Member States of the demo, in the order the demo
// network starts their nodes: those of the demo data set of the Common
// Services, of the demo identity providers (Users) and of the
// demo registers (Records). Each call returns a new slice.
func Countries() []string { return []string{"DE", "FR", "FI", "SE"} }
