package discovery

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// KnownEngines are the RDS engine names accepted in filters.
var KnownEngines = []string{
	"aurora-mysql", "aurora-postgresql", "mysql", "mariadb", "postgres",
	"oracle-ee", "oracle-ee-cdb", "oracle-se2", "oracle-se2-cdb",
	"sqlserver-ee", "sqlserver-se", "sqlserver-ex", "sqlserver-web",
	"db2-ae", "db2-se", "custom-oracle-ee", "custom-sqlserver-ee",
}

// FilterConfig selects which instances are watched. Empty lists select everything.
type FilterConfig struct {
	// Engines keeps instances whose engine is one of these.
	Engines []string `mapstructure:"engines"`
	// Identifiers keeps instances whose identifier fully matches one of these regular
	// expressions; a plain identifier matches itself.
	Identifiers []string `mapstructure:"identifiers"`
	// ExcludeIdentifiers drops instances whose identifier fully matches one of these.
	ExcludeIdentifiers []string `mapstructure:"exclude_identifiers"`
	// Tags keeps instances that carry every key; a non-empty value list also requires the
	// tag's value to be one of them.
	Tags map[string][]string `mapstructure:"tags"`
	// ExcludeTags drops instances that carry any of these keys (with one of the values, if given).
	ExcludeTags map[string][]string `mapstructure:"exclude_tags"`
}

// Filter is a compiled FilterConfig.
type Filter struct {
	engines            []string
	identifiers        []*regexp.Regexp
	excludeIdentifiers []*regexp.Regexp
	tags               map[string][]string
	excludeTags        map[string][]string
	// owns keeps this collector's share of a sharded fleet (see ShareKey); nil keeps all.
	owns func(key string) bool
}

// Sharded returns a copy of f that also keeps only the resources whose ShareKey owns
// accepts; a cluster and its member instances share one key, so they stay together.
func (f *Filter) Sharded(owns func(key string) bool) *Filter {
	c := *f
	c.owns = owns
	return &c
}

// Compile validates c, naming the offending field, and returns its Filter. There is
// deliberately no Validate method: the collector walks nested config structs and would
// report the same error again under each path; the receiver's Config.Validate reports it once.
func (c FilterConfig) Compile() (*Filter, error) {
	var errs []error
	for i, e := range c.Engines {
		if !slices.Contains(KnownEngines, e) {
			errs = append(errs, fmt.Errorf("engines[%d]: unknown engine %q (known: %s)", i, e, strings.Join(KnownEngines, ", ")))
		}
	}
	ids, err := compileAll("identifiers", c.Identifiers)
	errs = append(errs, err)
	excl, err := compileAll("exclude_identifiers", c.ExcludeIdentifiers)
	errs = append(errs, err)
	errs = append(errs, checkTags("tags", c.Tags), checkTags("exclude_tags", c.ExcludeTags))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Filter{engines: c.Engines, identifiers: ids, excludeIdentifiers: excl, tags: c.Tags, excludeTags: c.ExcludeTags}, nil
}

func compileAll(field string, patterns []string) ([]*regexp.Regexp, error) {
	var errs []error
	out := make([]*regexp.Regexp, 0, len(patterns))
	for i, p := range patterns {
		if p == "" {
			errs = append(errs, fmt.Errorf("%s[%d]: empty pattern", field, i))
			continue
		}
		re, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			errs = append(errs, fmt.Errorf("%s[%d]: invalid regular expression %q: %w", field, i, p, err))
			continue
		}
		out = append(out, re)
	}
	return out, errors.Join(errs...)
}

func checkTags(field string, tags map[string][]string) error {
	var errs []error
	for k, values := range tags {
		if k == "" {
			errs = append(errs, fmt.Errorf("%s: empty tag key", field))
		}
		for _, v := range values {
			if v == "" {
				errs = append(errs, fmt.Errorf("%s[%s]: empty tag value", field, k))
			}
		}
	}
	return errors.Join(errs...)
}

// Engines returns the engine filter, which DescribeDBInstances can apply on the server side.
func (f *Filter) Engines() []string { return f.engines }

// Match reports whether an instance passes the filter.
func (f *Filter) Match(in Instance) bool {
	if len(f.engines) > 0 && !slices.Contains(f.engines, in.Engine) {
		return false
	}
	if len(f.identifiers) > 0 && !anyMatch(f.identifiers, in.Identifier) {
		return false
	}
	if anyMatch(f.excludeIdentifiers, in.Identifier) {
		return false
	}
	for k, values := range f.tags {
		if !tagMatches(in.Tags, k, values) {
			return false
		}
	}
	for k, values := range f.excludeTags {
		if tagMatches(in.Tags, k, values) {
			return false
		}
	}
	return true
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

func tagMatches(tags map[string]string, key string, values []string) bool {
	v, ok := tags[key]
	return ok && (len(values) == 0 || slices.Contains(values, v))
}
