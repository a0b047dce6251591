module github.com/oots-go/oots

go 1.26
