module github.com/annexlab/annex

go 1.26.0

require (
	github.com/aymanbagabas/go-udiff v0.4.1
	github.com/gliderlabs/ssh v0.3.8
	github.com/pkg/sftp v1.13.12
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/crypto v0.58.0
	golang.org/x/text v0.43.0
)

require (
	github.com/anmitsu/go-shlex v0.0.0-20200514113438-38f4b401e2be // indirect
	github.com/kr/fs v0.1.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
