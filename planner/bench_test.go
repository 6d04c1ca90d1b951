package planner_test

import (
	"context"
	"testing"
)

// BenchmarkPlan measures planning from scratch (parse, route, describe) and
// with the plan cache.
func BenchmarkPlan(b *testing.B) {
	queries := map[string]string{
		"point":     "SELECT * FROM users WHERE id = $1",
		"aggregate": "SELECT tenant_id, count(*), avg(score) FROM users GROUP BY tenant_id ORDER BY 2 DESC LIMIT 10",
	}
	p := testPlanner(b)
	ctx := context.Background()
	for name, q := range queries {
		b.Run(name+"/uncached", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := p.Plan(ctx, nil, "main", q, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		cache := p.NewCache()
		b.Run(name+"/cached", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := cache.Plan(ctx, nil, "main", q, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
