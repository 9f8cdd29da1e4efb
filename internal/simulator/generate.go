package simulator

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// GenerateFleet builds a realistic fleet of exactly n instances, the same for the
// same seed: about 35% MySQL, 30% PostgreSQL, 5% MariaDB and the rest Aurora
// clusters of 2–3 members (both engines, some Serverless v2, a few global), with
// gp2/gp3/io1 storage, about 20% burstable classes, 10% read replicas of generated
// primaries, 30% Performance Insights, env/team/app tags on all but about 5%, and
// CloudWatch Logs exports on about 30% of the other instances and 40% of the clusters.
func GenerateFleet(n int, seed int64) Fleet {
	if n <= 0 {
		return Fleet{}
	}
	g := &generator{r: rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))}

	aurora := roundShare(n, 0.30)
	if aurora < 2 {
		aurora = 0
	}
	mysql, maria := roundShare(n, 0.35), roundShare(n, 0.05)
	rest := n - aurora
	if mysql+maria > rest {
		mysql, maria = rest, 0
	}
	pg := rest - mysql - maria
	g.addStandalone([]engineCount{{EngineMySQL, mysql}, {EngineMariaDB, maria}, {EnginePostgres, pg}}, roundShare(n, 0.10))
	g.addClusters(aurora)
	g.addLogExports()
	return g.f
}

// addLogExports has about 30% of the non-Aurora instances and 40% of the clusters
// publish logs to CloudWatch Logs. It hashes identifiers rather than drawing from the
// generator's random source, so the rest of a seed's fleet stays as it was.
func (g *generator) addLogExports() {
	for i := range g.f.Instances {
		in := &g.f.Instances[i]
		if !IsAurora(in.Engine) && hash64("log_exports/"+in.Identifier)%100 < 30 {
			in.LogExports = logExportsFor(in.Engine)
		}
	}
	for i := range g.f.Clusters {
		c := &g.f.Clusters[i]
		if hash64("log_exports/"+c.Identifier)%100 < 40 {
			c.LogExports = logExportsFor(c.Engine)
		}
	}
}

type engineCount struct {
	engine string
	count  int
}

type generator struct {
	r   *rand.Rand
	f   Fleet
	seq int
}

func roundShare(n int, share float64) int { return int(math.Round(float64(n) * share)) }

func (g *generator) name(prefix string) string {
	g.seq++
	return fmt.Sprintf("%s-%04d", prefix, g.seq)
}

func (g *generator) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

// addStandalone creates the non-Aurora instances: per engine a group whose first
// member is a primary; replicas are spread over the later slots.
func (g *generator) addStandalone(groups []engineCount, replicas int) {
	type slot struct {
		engine  string
		replica bool
	}
	var slots []slot
	var candidates []int // slots that may become replicas: not the first of their engine
	for _, grp := range groups {
		for k := range grp.count {
			if k > 0 {
				candidates = append(candidates, len(slots))
			}
			slots = append(slots, slot{engine: grp.engine})
		}
	}
	g.r.Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })
	for _, c := range candidates[:min(replicas, len(candidates))] {
		slots[c].replica = true
	}

	primaries := map[string][]*Instance{}
	replicaCount := map[string]int{}
	var pending []int // indexes into g.f.Instances of replicas waiting for a source
	for _, s := range slots {
		if s.replica {
			g.f.Instances = append(g.f.Instances, Instance{Engine: s.engine})
			pending = append(pending, len(g.f.Instances)-1)
			continue
		}
		g.f.Instances = append(g.f.Instances, g.standalone(s.engine))
	}
	for i := range g.f.Instances {
		in := &g.f.Instances[i]
		if in.Identifier != "" {
			primaries[in.Engine] = append(primaries[in.Engine], in)
		}
	}
	for _, i := range pending {
		in := &g.f.Instances[i]
		src := primaries[in.Engine][g.r.IntN(len(primaries[in.Engine]))]
		replicaCount[src.Identifier]++
		*in = g.replicaOf(src, replicaCount[src.Identifier])
	}
}

func (g *generator) standalone(engine string) Instance {
	prefix := map[string]string{EngineMySQL: "mysql", EngineMariaDB: "maria", EnginePostgres: "pg"}[engine]
	in := Instance{
		Identifier:    g.name(prefix),
		Engine:        engine,
		EngineVersion: g.version(engine),
		Class:         g.class(false),
		MultiAZ:       g.r.Float64() < 0.35,
		Tags:          g.tags(),
	}
	g.storage(&in)
	g.monitoring(&in)
	return in
}

func (g *generator) replicaOf(src *Instance, k int) Instance {
	in := Instance{
		Identifier:              fmt.Sprintf("%s-replica-%d", src.Identifier, k),
		Engine:                  src.Engine,
		EngineVersion:           src.EngineVersion,
		Class:                   src.Class,
		ReplicaSourceIdentifier: src.Identifier,
		Tags:                    cloneTags(src.Tags),
	}
	g.storage(&in)
	if in.AllocatedStorageGiB < src.AllocatedStorageGiB {
		in.AllocatedStorageGiB = src.AllocatedStorageGiB
	}
	g.monitoring(&in)
	return in
}

func (g *generator) addClusters(total int) {
	for i := 0; total >= 2; i++ {
		size := 2 + g.r.IntN(2)
		switch total {
		case 2, 3:
			size = total
		case 4:
			size = 2
		}
		total -= size

		engine := EngineAuroraMySQL
		if i%2 == 1 || (i > 1 && g.r.IntN(2) == 0) {
			engine = EngineAuroraPostgreSQL
		}
		prefix := map[string]string{EngineAuroraMySQL: "aurora-mysql", EngineAuroraPostgreSQL: "aurora-pg"}[engine]
		c := Cluster{
			Identifier:    g.name(prefix),
			Engine:        engine,
			EngineVersion: g.version(engine),
			Serverless:    i == 1 || g.r.Float64() < 0.2,
			Tags:          g.tags(),
		}
		if c.Serverless {
			c.MinCapacity, c.MaxCapacity = 0.5, float64(int(4)<<g.r.IntN(4))
		}
		if i >= 4 && g.r.Float64() < 0.15 {
			c.GlobalClusterIdentifier = "global-" + c.Identifier
			c.GlobalSecondary = hash64(c.Identifier)%2 == 1 // without a draw: the rest of the fleet stays as it was
		}
		class := g.class(true)
		for m := range size {
			id := fmt.Sprintf("%s-%d", c.Identifier, m+1)
			in := Instance{
				Identifier:        id,
				Engine:            engine,
				EngineVersion:     c.EngineVersion,
				Class:             class,
				ClusterIdentifier: c.Identifier,
				Tags:              cloneTags(c.Tags),
			}
			if c.Serverless {
				in.Class = "db.serverless"
			}
			g.monitoring(&in)
			g.f.Instances = append(g.f.Instances, in)
			c.Members = append(c.Members, ClusterMember{InstanceIdentifier: id, IsWriter: m == 0})
		}
		g.f.Clusters = append(g.f.Clusters, c)
	}
}

func (g *generator) version(engine string) string {
	switch engine {
	case EngineMySQL:
		return g.pick("8.0.35", "8.0.39", "8.4.3")
	case EngineMariaDB:
		return g.pick("10.6.19", "10.11.9", "11.4.3")
	case EnginePostgres:
		return g.pick("14.13", "15.8", "16.4", "17.2")
	case EngineAuroraMySQL:
		return g.pick("8.0.mysql_aurora.3.05.2", "8.0.mysql_aurora.3.07.1")
	default:
		return g.pick("14.12", "15.7", "16.4")
	}
}

func (g *generator) class(aurora bool) string {
	if g.r.Float64() < 0.2 {
		if aurora {
			return g.pick("db.t3.medium", "db.t4g.medium", "db.t4g.large")
		}
		return g.pick("db.t3.micro", "db.t3.small", "db.t3.medium", "db.t4g.small", "db.t4g.medium", "db.t4g.large")
	}
	if aurora {
		return g.pick("db.r6g.large", "db.r6g.xlarge", "db.r6g.2xlarge", "db.r7g.large")
	}
	return g.pick("db.m5.large", "db.m6g.large", "db.m6g.xlarge", "db.m6i.2xlarge", "db.r5.large", "db.r6g.large", "db.r6g.xlarge", "db.r6i.4xlarge")
}

func (g *generator) storage(in *Instance) {
	sizes := []int32{20, 50, 100, 200, 500, 1000, 2000}
	switch x := g.r.Float64(); {
	case x < 0.40:
		in.StorageType = "gp2"
		in.AllocatedStorageGiB = sizes[g.r.IntN(len(sizes))]
	case x < 0.85:
		in.StorageType = "gp3"
		in.AllocatedStorageGiB = sizes[g.r.IntN(len(sizes))]
		in.IOPS, in.StorageThroughputMiBps = 3000, 125
		if in.AllocatedStorageGiB >= 400 {
			in.IOPS, in.StorageThroughputMiBps = 12000, 500
		}
	default:
		in.StorageType = "io1"
		in.AllocatedStorageGiB = sizes[2+g.r.IntN(len(sizes)-2)]
		in.IOPS = int32(1000 * (1 + g.r.IntN(20)))
	}
	if g.r.Float64() < 0.5 {
		in.MaxAllocatedStorageGiB = in.AllocatedStorageGiB * int32(2+g.r.IntN(4))
	}
}

func (g *generator) monitoring(in *Instance) {
	in.PerformanceInsights = g.r.Float64() < 0.3
	switch x := g.r.Float64(); {
	case x < 0.25:
		in.MonitoringInterval = 60
	case x < 0.30:
		in.MonitoringInterval = []int32{1, 5, 10, 15, 30}[g.r.IntN(5)]
	}
}

func (g *generator) tags() map[string]string {
	if g.r.Float64() < 0.05 {
		return nil
	}
	env := "prod"
	switch x := g.r.Float64(); {
	case x < 0.3:
		env = "staging"
	case x < 0.6:
		env = "dev"
	}
	return map[string]string{
		"env":  env,
		"team": g.pick("payments", "identity", "analytics", "platform", "search", "growth"),
		"app":  g.pick("checkout", "accounts", "reports", "catalog", "billing", "notifications", "ledger"),
	}
}
