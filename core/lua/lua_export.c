/* core/lua/lua_export.c — the export area of the Lua module: cpose.export_formats() (the formats
 * whose exporter plugin this installation found, from the plugin registry at run time),
 * cpose.export_probe(source, path, imgsz) (read an export back with cpose's readers and compare its
 * forward with the source model's; core/cli/export_probe.h) and cpose.clock() (wall seconds). */
#include "core/base/alloc.h"
#include "core/base/log.h"
#include "core/base/status.h"
#include "core/cli/export_probe.h"
#include "core/lua/lua_impl.h"
#include "core/nn/model.h"
#include "plugins/plugin_registry.h"

#include <math.h>

/* cpose.export_formats() → { {format = "onnx", suffix = ".onnx", is_dir = false, description = ...,
 * file = "<plugin .so>", args = {"imgsz", "batch", ...}}, ... } in the registry's order. */
static int l_export_formats(lua_State *L)
{
    struct cpose_plugin_registry *reg = cpose_plugins_load_default();
    lua_createtable(L, reg->n, 0);
    for (int i = 0; i < reg->n; i++) {
        const struct cpose_plugin *p = reg->items[i].plugin;
        lua_createtable(L, 0, 6);
        lua_pushstring(L, p->format), lua_setfield(L, -2, "format");
        lua_pushstring(L, p->suffix), lua_setfield(L, -2, "suffix");
        lua_pushboolean(L, p->is_dir), lua_setfield(L, -2, "is_dir");
        lua_pushstring(L, p->description ? p->description : ""), lua_setfield(L, -2, "description");
        lua_pushstring(L, reg->items[i].path ? reg->items[i].path : ""), lua_setfield(L, -2, "file");
        lua_newtable(L);
        int k = 1;
        for (const struct cpose_plugin_arg *a = p->args; a && a->name; a++) lua_pushstring(L, a->name), lua_rawseti(L, -2, k++);
        lua_setfield(L, -2, "args");
        lua_rawseti(L, -2, i + 1);
    }
    cpose_plugins_free(reg);
    return 1;
}

/* cpose.export_probe(source, path, imgsz) → {status = "ok" | "no reader" | "failed", max_delta =
 * number (ok), message = text, size_mb = number}. source: the model the export came from (a model
 * YAML, loaded with seed 0 as `cpose export` does, or weights), or nil to only read the export back;
 * imgsz: 640 or {h, w} (the export's size). Never raises for a failed read: the table says why. */
static int l_export_probe(lua_State *L)
{
    const char *src_path = luaL_optstring(L, 1, NULL);
    const char *path = luaL_checkstring(L, 2);
    int64_t H, W;
    if (lua_istable(L, 3)) {
        lua_rawgeti(L, 3, 1), lua_rawgeti(L, 3, 2);
        H = luaL_checkinteger(L, -2), W = luaL_optinteger(L, -1, H);
        lua_pop(L, 2);
    } else {
        H = W = luaL_optinteger(L, 3, 640);
    }
    if (H <= 0 || W <= 0 || H % 32 || W % 32) return luaL_argerror(L, 3, "imgsz: positive multiples of 32");
    struct cpose_model *src = NULL;
    if (src_path && cpose_model_load(src_path, NULL, &src) != CPOSE_OK) return cpose_lua_fail(L, "cpose.export_probe");
    struct cpose_export_probe p;
    int rc = cpose_export_probe(src, path, H, W, &p);
    cpose_model_free(src);
    lua_createtable(L, 0, 4);
    lua_pushstring(L, rc == CPOSE_OK ? "ok" : rc == CPOSE_ENOTSUP ? "no reader" : "failed"), lua_setfield(L, -2, "status");
    if (rc == CPOSE_OK && src) lua_pushnumber(L, p.max_delta), lua_setfield(L, -2, "max_delta");
    lua_pushstring(L, p.msg), lua_setfield(L, -2, "message");
    lua_pushnumber(L, cpose_path_size_mb(path)), lua_setfield(L, -2, "size_mb");
    return 1;
}

/* cpose.clock() → wall-clock seconds (monotonic), for timing steps of a job. */
static int l_clock(lua_State *L)
{
    lua_pushnumber(L, cpose_now());
    return 1;
}

static const luaL_Reg funcs[] = {
    {"export_formats", l_export_formats},
    {"export_probe", l_export_probe},
    {"clock", l_clock},
    {NULL, NULL},
};

int cpose_lua_open_export(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    luaL_setfuncs(L, funcs, 0);
    return 0;
}
