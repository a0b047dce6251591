//go:build pkcs11 && cgo

package main

const pkcs11Built = true
