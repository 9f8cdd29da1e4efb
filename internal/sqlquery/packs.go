package sqlquery

import (
	"embed"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
)

// Packs are ready-made queries in the very form of user queries (a user can copy one
// from packs/ into sql.queries and change it), embedded in the binary. Each file is a
// pack: packs/<name>.yaml.
//
//go:embed packs/*.yaml
var packFiles embed.FS

// PackNames lists the packs, sorted.
func PackNames() []string {
	entries, _ := packFiles.ReadDir("packs")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Pack returns the queries of pack name as written in its file.
func Pack(name string) ([]QueryConfig, error) {
	b, err := packFiles.ReadFile(path.Join("packs", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("%q is not a pack (packs: %s)", name, strings.Join(PackNames(), ", "))
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("pack %q: %w", name, err)
	}
	var p struct {
		Queries []QueryConfig `mapstructure:"queries"`
	}
	if err := confmap.NewFromStringMap(raw).Unmarshal(&p); err != nil {
		return nil, fmt.Errorf("pack %q: %w", name, err)
	}
	return p.Queries, nil
}

// WithPacks returns c with the queries of its packs appended: each runs on the static
// targets of its engines' family and, when discovered credentials are set, on the
// discovered instances of its engines.
func (c Config) WithPacks() (Config, error) {
	if len(c.Packs) == 0 {
		return c, nil
	}
	var errs []error
	queries := slices.Clone(c.Queries)
	for i, name := range c.Packs {
		if slices.Contains(c.Packs[:i], name) {
			errs = append(errs, fmt.Errorf("packs[%d]: %q is listed twice", i, name))
			continue
		}
		qs, err := Pack(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("packs[%d]: %w", i, err))
			continue
		}
		for _, q := range qs {
			families := map[string]bool{}
			for _, e := range q.Engines {
				families[discovery.EngineFamily(e)] = true
			}
			for _, t := range c.Targets {
				if families[discovery.EngineFamily(t.Engine)] {
					q.Targets = append(q.Targets, t.Name)
				}
			}
			if c.Discovered.Username == "" && !c.Discovered.IAMAuth {
				q.Engines = nil
			}
			if len(q.Engines) > 0 || len(q.Targets) > 0 {
				queries = append(queries, q)
			}
		}
	}
	c.Queries = queries
	return c, errors.Join(errs...)
}

// prerequisites recognise the errors of servers that lack what a pack needs, and say what
// to do; the SQL text of a pack never appears in errors, so they match the server's text.
var prerequisites = []struct{ match, advice string }{
	{`relation "pg_stat_statements`, `the pg_stat_statements extension is missing in the database the receiver connects to: run CREATE EXTENSION pg_stat_statements there (RDS preloads the library)`},
	{`pg_stat_statements must be loaded via`, `pg_stat_statements is not in shared_preload_libraries: add it in the DB parameter group and reboot`},
	{`denied to user`, `the login lacks a privilege the pack needs (mysql.statements: GRANT SELECT ON performance_schema.* TO the receiver's user; PostgreSQL packs: GRANT pg_monitor)`},
}

// MissingPrerequisite returns what to do when err says that the server lacks what a pack
// query needs: an extension, a library, a privilege.
func MissingPrerequisite(err error) (string, bool) {
	msg := err.Error()
	for _, p := range prerequisites {
		if strings.Contains(msg, p.match) {
			return p.advice, true
		}
	}
	return "", false
}
