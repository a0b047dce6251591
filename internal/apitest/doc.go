// Package apitest holds the tests that keep the module's supported API
// (README, "Which packages are a supported API") to itself: no exported
// declaration of a supported package names a type of an internal or
// unsupported package, so code outside the module can use every signature;
// and no package of the module exports a variable other than an error
// sentinel, so no importer can change a table, default or setting for every
// other user.
package apitest
