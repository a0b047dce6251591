// Package apitest holds the test that keeps the module's supported API
// (README, "Which packages are a supported API") to itself: no exported
// declaration of a supported package names a type of an internal or
// unsupported package, so code outside the module can use every signature.
package apitest
