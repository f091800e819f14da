module github.com/anacrolix/utp

go 1.21
