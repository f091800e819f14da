// Package codes stands in for go.opentelemetry.io/otel/codes.
package codes

// Code is a span's status.
type Code uint32

// Error marks a failed span.
const Error Code = 1
