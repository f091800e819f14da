// Package attribute stands in for go.opentelemetry.io/otel/attribute.
package attribute

// KeyValue is a span attribute.
type KeyValue struct {
	Key   string
	Value any
}

// String returns a string attribute.
func String(k, v string) KeyValue { return KeyValue{k, v} }

// Int returns an integer attribute.
func Int(k string, v int) KeyValue { return KeyValue{k, v} }
