package graph

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/graph/generated"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/billing"
	"github.com/tenantd/tenantd/internal/catalog"
	"github.com/tenantd/tenantd/internal/onboarding"
	"github.com/tenantd/tenantd/internal/provisioning"
	"github.com/tenantd/tenantd/internal/pubsub"
	"github.com/tenantd/tenantd/internal/tenancy"
)

// OperationObserver records one GraphQL operation; internal/obs.Metrics implements it.
type OperationObserver interface {
	ObserveGraphQL(operationName, opType, outcome string, d time.Duration)
}

// Deps are what the GraphQL handler needs; all are required.
type Deps struct {
	Client   *ent.Client
	Logger   *slog.Logger
	Verifier *auth.Verifier
	Observer OperationObserver
	// Onboarding signs leads up and onboards tenants.
	Onboarding *onboarding.Service
	// Provisioning runs the lifecycle mutations.
	Provisioning *provisioning.Service
	// Broker delivers tenant status changes to subscriptions.
	Broker *pubsub.Broker
	Limits Limits
	// Introspection turns on schema introspection (GRAPHQL_INTROSPECTION, default on in
	// development only).
	Introspection bool
}

// NewHandler returns the GraphQL endpoint: POST, GET and websocket subscriptions, every mutation
// in one ent transaction, depth and complexity limits, and the error presenter. Requests must
// already carry the caller's viewer (auth.Verifier.Middleware) and a request id.
func NewHandler(d Deps) http.Handler {
	r := &Resolver{
		client:       d.Client,
		logger:       d.Logger,
		catalog:      catalog.New(d.Client),
		tenancy:      tenancy.New(d.Client),
		billing:      billing.New(d.Client),
		limits:       d.Limits.withDefaults(),
		onboarding:   d.Onboarding,
		provisioning: d.Provisioning,
		broker:       d.Broker,
	}
	srv := handler.New(generated.NewExecutableSchema(generated.Config{
		Resolvers:  r,
		Complexity: r.complexity(),
	}))
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 15 * time.Second,
		Implementation: transport.CoderWebsocketImplementation{
			// Browsers send the token in the init payload, not a cookie, so a cross-origin
			// page gains nothing from opening a socket.
			AcceptOptions: websocket.AcceptOptions{InsecureSkipVerify: true},
		},
		InitFunc: func(ctx context.Context, p transport.InitPayload,
		) (context.Context, *transport.InitPayload, error) {
			return websocketAuth(ctx, d.Verifier, p)
		},
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.AddTransport(unsupported{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	// Bounds the parser's and validator's work on one document (repeated fields cost the
	// validator quadratic time); real operations stay far below.
	srv.SetParserTokenLimit(r.limits.MaxTokens)
	if d.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	srv.Use(depthLimit{max: r.limits.MaxDepth})
	srv.Use(pageArgs{max: r.limits.MaxPageSize})
	srv.Use(extension.FixedComplexityLimit(r.limits.MaxComplexity))
	srv.Use(transactions{entgql.Transactioner{TxOpener: d.Client}})
	srv.Use(observe{d.Observer})
	srv.SetErrorPresenter(presenter{logger: d.Logger}.present)
	srv.SetRecoverFunc(recoverFunc)
	return srv
}

// websocketAuth reads the token of a websocket's connection_init payload ("Authorization":
// "Bearer …", or "authToken"/"token") and refuses the connection when a token is present but
// invalid. A connection without a token is anonymous.
func websocketAuth(ctx context.Context, v *auth.Verifier, p transport.InitPayload,
) (context.Context, *transport.InitPayload, error) {
	header := p.Authorization()
	if header == "" {
		for _, key := range []string{"authToken", "token"} {
			if s := p.GetString(key); s != "" {
				header = "Bearer " + s
				break
			}
		}
	}
	if header == "" {
		return ctx, nil, nil
	}
	if !strings.Contains(header, " ") {
		header = "Bearer " + header
	}
	ctx = v.Authenticate(ctx, header)
	if err := auth.TokenError(ctx); err != nil {
		// graphql-transport-ws closes a refused init with 4403 Forbidden; graphql-ws clients
		// get the connection_error message first, then the same close.
		ctx = transport.WithWebsocketCloseCode(ctx, 4403)
		return transport.AppendCloseReason(ctx, "Forbidden"), nil, err
	}
	return ctx, nil, nil
}

// transactions runs every mutation in one ent transaction (entgql.Transactioner), and leaves
// alone responses that have no operation, such as a body that could not be decoded (the
// Transactioner would panic on those).
type transactions struct {
	entgql.Transactioner
}

// InterceptResponse opens the transaction only for an operation.
func (t transactions) InterceptResponse(ctx context.Context, next graphql.ResponseHandler,
) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	return t.Transactioner.InterceptResponse(ctx, next)
}

// LimitBody refuses request bodies over max bytes before anything reads them.
func LimitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			http.Error(w, `{"errors":[{"message":"request body too large",`+
				`"extensions":{"code":"VALIDATION_FAILED"}}]}`, http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

// unsupported answers requests no other transport takes (another method or content type) with
// a GraphQL error that carries a code, like every other error of the API.
type unsupported struct{}

// Supports takes whatever is left.
func (unsupported) Supports(*http.Request) bool { return true }

// Do writes the error.
func (unsupported) Do(w http.ResponseWriter, r *http.Request, _ graphql.GraphExecutor) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = io.WriteString(w, `{"errors":[{"message":"send the operation with POST and `+
		`Content-Type: application/json, or with GET","extensions":{"code":"VALIDATION_FAILED"}}]}`)
}

// observe reports every operation's duration and outcome.
type observe struct {
	o OperationObserver
}

// ExtensionName names the extension for gqlgen.
func (observe) ExtensionName() string { return "Observe" }

// Validate accepts every schema.
func (observe) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse times the operation.
func (o observe) InterceptResponse(ctx context.Context, next graphql.ResponseHandler,
) *graphql.Response {
	start := time.Now()
	resp := next(ctx)
	if !graphql.HasOperationContext(ctx) {
		return resp
	}
	oc := graphql.GetOperationContext(ctx)
	opType, name := "unknown", oc.OperationName
	if oc.Operation != nil {
		opType = string(oc.Operation.Operation)
		if name == "" {
			name = oc.Operation.Name
		}
	}
	outcome := "ok"
	if resp == nil || len(resp.Errors) > 0 {
		outcome = "error"
	}
	o.o.ObserveGraphQL(name, opType, outcome, time.Since(start))
	return resp
}
