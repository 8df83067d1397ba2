//go:build ignore

// Command entc generates the ent client and the entgql GraphQL schema from ent/schema.
package main

import (
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	ext, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("../graph/schema/ent.graphql"),
		entgql.WithConfigPath("../gqlgen.yml"),
		entgql.WithWhereInputs(true),
		entgql.WithRelaySpec(true),
	)
	if err != nil {
		log.Fatalf("create entgql extension: %v", err)
	}
	opts := []entc.Option{
		entc.Extensions(ext),
		entc.TemplateDir("./template"),
		entc.FeatureNames(
			"privacy", "intercept", "sql/versioned-migration", "sql/upsert",
			"sql/execquery", "sql/lock", "sql/modifier",
		),
	}
	if err := entc.Generate("./schema", &gen.Config{}, opts...); err != nil {
		log.Fatalf("generate ent: %v", err)
	}
}
