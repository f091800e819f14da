module github.com/anacrolix/envpprof

go 1.21
