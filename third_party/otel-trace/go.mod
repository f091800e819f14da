module go.opentelemetry.io/otel/trace

go 1.21

require go.opentelemetry.io/otel v1.38.0
