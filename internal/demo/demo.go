// Package demo is the data of the demo network (package demonet, "oots
// demo"), kept out of the packages that run in production: the Member
// States of the demo (Countries), the data set of the Common Services
// (CommonServices, Load, LoadIn, Submissions) and the registers of the
// evidence providers (Records, Authorities), which hold evidence about the
// test persons of the demo identity providers (idp.DemoUsers) for the
// evidence types of that data set.
package demo

// Countries returns the Member States of the demo, in the order the demo
// network starts their nodes: those of the demo data set of the Common
// Services, of the demo identity providers (idp.DemoUsers) and of the
// demo registers (Records). Each call returns a new slice.
func Countries() []string { return []string{"DE", "FR", "FI", "SE"} }
