// Package tools pins the code generators (mdatagen, ocb) the Makefile runs with `go tool`.
package tools
