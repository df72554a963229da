module twist.local/pause

go 1.22
