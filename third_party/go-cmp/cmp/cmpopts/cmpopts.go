// Package cmpopts is empty. It exists so that `go mod tidy` finds the
// package that quicktest, a test dependency of anacrolix/dht that murder
// never builds, imports.
package cmpopts
