// Command synco runs Synco's stages; see `synco help`.
package main

import (
	"os"

	"github.com/synco-dev/synco/cmd/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
