// argocd-health runs one of Argo CD's resource health checks (a Lua script
// from argo-cd's resource_customizations) against one Kubernetes object, in
// gopher-lua as Argo CD does: the object, read as JSON from stdin, becomes the
// global `obj` (objects as tables, arrays as 1-based tables), the base, table,
// package and os libraries are open, and the script gets one second.
// It prints the returned table as {"status": ..., "message": ...}.
//
//	argocd-health resource_customizations/cert-manager.io/Certificate/health.lua < certificate.json
//
// Built into the peers cache by scripts/peers.sh (install_argocd_health); a
// test peer, not part of gitcert.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"
)

func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for key, item := range v {
			t.RawSetH(lua.LString(key), toLua(l, item))
		}
		return t
	}
	return lua.LNil
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "argocd-health: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: argocd-health SCRIPT.lua < object.json")
	}
	script, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail("%v", err)
	}
	var object map[string]any
	if err := json.NewDecoder(os.Stdin).Decode(&object); err != nil {
		fail("reading the object: %v", err)
	}

	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for name, open := range map[string]lua.LGFunction{lua.LoadLibName: lua.OpenPackage, lua.BaseLibName: lua.OpenBase, lua.TabLibName: lua.OpenTable, lua.OsLibName: lua.OpenOs} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(open), NRet: 0, Protect: true}, lua.LString(name)); err != nil {
			fail("opening %s: %v", name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, object))
	if err := l.DoString(string(script)); err != nil {
		fail("%v", err)
	}
	result, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		fail("the script returned %s, not a table", l.Get(-1).Type())
	}
	field := func(name string) string {
		if v := result.RawGetString(name); v != lua.LNil {
			return v.String()
		}
		return ""
	}
	out, _ := json.Marshal(map[string]string{"status": field("status"), "message": field("message")})
	fmt.Println(string(out))
}
