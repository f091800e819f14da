// Package trace stands in for go.opentelemetry.io/otel/trace in murder's
// own builds; see ../README.md. Its spans record nothing.
package trace

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
)

// EventOption and SpanStartOption configure events and spans.
type (
	EventOption     func()
	SpanStartOption func()
)

// WithAttributes would attach attributes to an event.
func WithAttributes(...attribute.KeyValue) EventOption { return func() {} }

// Span is a traced operation.
type Span interface {
	End()
	AddEvent(name string, opts ...EventOption)
	SetAttributes(kv ...attribute.KeyValue)
	SetStatus(code codes.Code, description string)
	RecordError(err error, opts ...EventOption)
}

// Tracer starts spans.
type Tracer interface {
	Start(ctx context.Context, name string, opts ...SpanStartOption) (context.Context, Span)
}

// NoopTracer starts spans that record nothing.
type NoopTracer struct{}

// Start returns ctx and a span that records nothing.
func (NoopTracer) Start(ctx context.Context, _ string, _ ...SpanStartOption) (context.Context, Span) {
	return ctx, noopSpan{}
}

type noopSpan struct{}

func (noopSpan) End()                                {}
func (noopSpan) AddEvent(string, ...EventOption)     {}
func (noopSpan) SetAttributes(...attribute.KeyValue) {}
func (noopSpan) SetStatus(codes.Code, string)        {}
func (noopSpan) RecordError(error, ...EventOption)   {}
