// Package codes stands in for go.opentelemetry.io/otel/codes.
package codes

// Code is a span's status.
type Code uint32

// The status codes.
const (
	Unset Code = iota
	Error
	Ok
)
