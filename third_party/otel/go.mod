module go.opentelemetry.io/otel

go 1.21

require go.opentelemetry.io/otel/trace v1.38.0
