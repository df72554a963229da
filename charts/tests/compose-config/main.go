// compose-config loads a Compose file the way `docker compose config` does (compose-go: env-file
// interpolation, Compose-specification JSON schema, then semantic checks), with no Docker engine.
//
//	compose-config -f docker-compose.backend.yml --env-file .env.test
//
// It prints the normalized project as YAML on success and exits 1 with compose's own message
// on any error (a missing ${VAR:?message} included). The process environment is NOT used, so
// the result depends on the files alone.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	file := flag.String("f", "docker-compose.backend.yml", "compose file")
	envFile := flag.String("env-file", "", "env file used for interpolation")
	flag.Parse()

	dir, err := filepath.Abs(filepath.Dir(*file))
	if err != nil {
		fail(err)
	}
	opts := []cli.ProjectOptionsFn{cli.WithWorkingDirectory(dir), cli.WithInterpolation(true)}
	if *envFile != "" {
		opts = append(opts, cli.WithEnvFiles(*envFile), cli.WithDotEnv)
	}
	options, err := cli.NewProjectOptions([]string{*file}, opts...)
	if err != nil {
		fail(err)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	out, err := project.MarshalYAML()
	if err != nil {
		fail(err)
	}
	os.Stdout.Write(out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compose-config:", err)
	os.Exit(1)
}
