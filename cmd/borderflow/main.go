// Command borderflow serves borderflow and runs its maintenance commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // crossing time zones work on machines without a zone database

	"borderflow/app"
)

// version is stamped in at build time: go build -ldflags "-X main.version=1.2.0".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	cli := app.CLI{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Version: version}
	code := cli.Main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
