/* Integration: the operator's kit in ops/ queries only what cdrwarnd exports.
 * One daemon on two partitions a topic gets an event on each partition, so
 * every family has samples (the per-partition ones too), and /metrics is
 * scraped. Then every metric name in the PromQL of the Grafana dashboard
 * (ops/grafana/cdrwarn.json, its template variables included) and of the
 * alerting rules (ops/prometheus/cdrwarn.rules.yml) must be a series name
 * of that scrape (a histogram's _bucket, _sum and _count as exposed), and
 * every family the daemon exports must be on the dashboard. The dashboard's
 * JSON is checked for what a Grafana import needs, and its queries for
 * PromQL syntax with promtool. */
#include <check.h>
#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "harness_ops.h"

#define PARTITIONS 2
#define WAIT_MS 30000
#define DASHBOARD CW_SOURCE_DIR "/ops/grafana/cdrwarn.json"
#define RULES CW_SOURCE_DIR "/ops/prometheus/cdrwarn.rules.yml"
#define LATE_GRACE_S 7200 /* set in the config, to tell them from the defaults */
#define IDLE_CLOSE_S 1500
#define MAX_NAMES 256
#define MAX_EXPRS 128

/* Series Prometheus makes itself for every scrape target, not the daemon. */
static const char *const prometheus_own[] = {"up"};
/* Families the daemon exports that the dashboard leaves out on purpose, each
 * with the reason; a new family otherwise needs its panel. */
static const char *const not_on_dashboard[] = {
    NULL, /* none yet */
};

typedef struct names {
    char *items[MAX_NAMES];
    size_t count;
} names_t;

typedef struct exprs {
    char *items[MAX_EXPRS];
    char where[MAX_EXPRS][96]; /* "panel 3 \"Consumer lag\" target B" */
    size_t count;
} exprs_t;

static cw_harness_t *h;
static char *metrics_text;

/* ---- the scenario -------------------------------------------------------- */

/* Until every input partition has a lag sample and a stream time, and a
 * batch was committed: every family has its samples. */
static int scrape_complete(void)
{
    char last[128] = "";
    for (int waited = 0; waited <= WAIT_MS; waited += 100) {
        int status = 0;
        free(metrics_text);
        metrics_text = NULL;
        CW_HARNESS_STEP(h, cw_harness_http_get(h, "/metrics", &status, &metrics_text));
        cw_scrape_t scrape;
        if (status != 200 || cw_scrape_parse(metrics_text, &scrape) != 0)
            return cw_harness_ops_failf(h, "/metrics answered %d, or does not parse: %s",
                                        status, cw_harness_ops_error());
        int lag = 0, stream = 0;
        double batches = 0;
        for (size_t i = 0; i < scrape.sample_count; i++) {
            const cw_scrape_sample_t *s = &scrape.samples[i];
            lag += strcmp(s->name, "cdrwarn_consumer_lag") == 0;
            stream += strcmp(s->name, "cdrwarn_stream_time_seconds") == 0;
            if (strcmp(s->name, "cdrwarn_batches_total") == 0)
                batches = s->value;
        }
        cw_scrape_free(&scrape);
        if (lag == 3 * PARTITIONS && stream == PARTITIONS && batches > 0)
            return 0;
        snprintf(last, sizeof last, "%d lag samples, %d stream times, %g batches", lag,
                 stream, batches);
        cw_harness_sleep_ms(100);
    }
    return cw_harness_ops_failf(h, "/metrics not complete within %d ms: %s", WAIT_MS,
                                last);
}

static int play(void)
{
    char value[32];
    CW_HARNESS_STEP(h, cw_harness_redis_start(h, NULL));
    CW_HARNESS_STEP(h, cw_harness_broker_start(h, PARTITIONS));
    snprintf(value, sizeof value, "%ds", LATE_GRACE_S);
    cw_harness_config_set(h, "time", "late_grace", value);
    snprintf(value, sizeof value, "%ds", IDLE_CLOSE_S);
    cw_harness_config_set(h, "time", "idle_close", value);
    CW_HARNESS_STEP(h, cw_harness_daemon_start(h));
    CW_HARNESS_STEP(h, cw_harness_daemon_wait_healthy(h, 60000));
    /* one call on each partition: stream times, batches, lag for both */
    int64_t now = cw_harness_now_ms();
    bool sent[PARTITIONS] = {false};
    for (int i = 0, left = PARTITIONS; left > 0 && i < 1000; i++) {
        char msisdn[24];
        snprintf(msisdn, sizeof msisdn, "1380070%04d", i);
        int32_t p = cw_harness_partition_of(msisdn, PARTITIONS);
        if (sent[p])
            continue;
        sent[p] = true;
        left--;
        CW_HARNESS_STEP(h, cw_harness_send_event(
                               h, CW_HARNESS_TOPIC_CDR, msisdn, "voice", now - 60000,
                               ",\"direction\":\"mo\",\"peer\":"
                               "\"13800000999\",\"duration_s\":60") < 0);
    }
    CW_HARNESS_STEP(h, cw_harness_flush(h, WAIT_MS));
    return scrape_complete();
}

static void setup(void)
{
    h = cw_harness_new("ops-dashboard");
    if (h != NULL)
        play();
}

static void teardown(void)
{
    free(metrics_text);
    metrics_text = NULL;
    cw_harness_free(h);
    h = NULL;
}

/* ---- PromQL -------------------------------------------------------------- */

/* A JSON member's string value, "" when it is missing or not a string. */
static const char *text_of(json_t *object, const char *key)
{
    const char *text = json_string_value(json_object_get(object, key));
    return text != NULL ? text : "";
}

static bool one_of(const char *word, size_t len, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(list[i]) == len && strncmp(list[i], word, len) == 0)
            return true;
    return false;
}

static void names_add(names_t *names, const char *name, size_t len)
{
    for (size_t i = 0; i < names->count; i++)
        if (strlen(names->items[i]) == len && strncmp(names->items[i], name, len) == 0)
            return;
    ck_assert_uint_lt(names->count, MAX_NAMES);
    names->items[names->count] = strndup(name, len);
    ck_assert_ptr_nonnull(names->items[names->count]);
    names->count++;
}

static void names_free(names_t *names)
{
    for (size_t i = 0; i < names->count; i++)
        free(names->items[i]);
    names->count = 0;
}

/* Past a quoted string starting at s[i] ('"', '\'' or '`'). */
static size_t skip_string(const char *s, size_t i)
{
    char quote = s[i++];
    while (s[i] != '\0' && s[i] != quote) {
        if (s[i] == '\\' && quote != '`' && s[i + 1] != '\0')
            i++;
        i++;
    }
    return s[i] == quote ? i + 1 : i;
}

/* Past a bracketed group starting at s[i] ('{', '(' or '['), strings inside
 * skipped whole. */
static size_t skip_group(const char *s, size_t i)
{
    char open = s[i], close = open == '{' ? '}' : open == '(' ? ')' : ']';
    int depth = 0;
    while (s[i] != '\0') {
        if (s[i] == '"' || s[i] == '\'' || s[i] == '`') {
            i = skip_string(s, i);
            continue;
        }
        if (s[i] == open)
            depth++;
        else if (s[i] == close && --depth == 0)
            return i + 1;
        i++;
    }
    return i;
}

/* Adds every metric name of a PromQL expression: the identifiers that are
 * not a function or aggregation (followed by '(' or by/without), a keyword,
 * a label list, a label matcher, a duration, a number or a Grafana
 * variable. */
static void promql_metrics(const char *expr, names_t *names)
{
    static const char *const aggregations[] = {
        "sum",    "min",   "max",          "avg",     "group", "stddev",
        "stdvar", "count", "count_values", "bottomk", "topk",  "quantile"};
    static const char *const label_lists[] = {"by",       "without",    "on",
                                              "ignoring", "group_left", "group_right"};
    static const char *const keywords[] = {"and",   "or",  "unless", "bool", "offset",
                                           "atan2", "inf", "nan",    "Inf",  "NaN"};
    size_t i = 0;
    while (expr[i] != '\0') {
        char c = expr[i];
        if (c == '"' || c == '\'' || c == '`') {
            i = skip_string(expr, i);
        } else if (c == '{' || c == '[') {
            i = skip_group(expr, i);
        } else if (c == '$') {
            i++;
            if (expr[i] == '{')
                i = skip_group(expr, i);
            while (isalnum((unsigned char)expr[i]) || expr[i] == '_')
                i++;
        } else if (isdigit((unsigned char)c) ||
                   (c == '.' && isdigit((unsigned char)expr[i + 1]))) {
            while (isalnum((unsigned char)expr[i]) || expr[i] == '.' || expr[i] == '_')
                i++;
        } else if (isalpha((unsigned char)c) || c == '_' || c == ':') {
            size_t start = i;
            while (isalnum((unsigned char)expr[i]) || expr[i] == '_' || expr[i] == ':')
                i++;
            size_t len = i - start, next = i;
            while (expr[next] == ' ' || expr[next] == '\n' || expr[next] == '\t')
                next++;
            const char *word = expr + start;
            if (one_of(word, len, label_lists,
                       sizeof label_lists / sizeof label_lists[0])) {
                if (expr[next] == '(')
                    i = skip_group(expr, next);
            } else if (expr[next] == '(' ||
                       one_of(word, len, aggregations,
                              sizeof aggregations / sizeof aggregations[0]) ||
                       one_of(word, len, keywords,
                              sizeof keywords / sizeof keywords[0])) {
                /* a function, an aggregation or a keyword */
            } else {
                names_add(names, word, len);
            }
        } else {
            i++;
        }
    }
}

/* ---- the files ----------------------------------------------------------- */

static json_t *dashboard(void)
{
    json_error_t err;
    json_t *root = json_load_file(DASHBOARD, JSON_REJECT_DUPLICATES, &err);
    ck_assert_msg(root != NULL, "%s:%d:%d: %s", DASHBOARD, err.line, err.column,
                  err.text);
    return root;
}

static void exprs_add(exprs_t *exprs, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void exprs_add(exprs_t *exprs, const char *expr, const char *fmt, ...)
{
    ck_assert_uint_lt(exprs->count, MAX_EXPRS);
    exprs->items[exprs->count] = strdup(expr);
    ck_assert_ptr_nonnull(exprs->items[exprs->count]);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(exprs->where[exprs->count], sizeof exprs->where[0], fmt, ap);
    va_end(ap);
    exprs->count++;
}

static void exprs_free(exprs_t *exprs)
{
    for (size_t i = 0; i < exprs->count; i++)
        free(exprs->items[i]);
    exprs->count = 0;
}

/* Every target's expr of every panel (rows' nested panels too), and the
 * metric of each label_values(METRIC, label) template variable. */
static void dashboard_exprs(json_t *root, exprs_t *exprs)
{
    size_t i, j;
    json_t *panel, *target, *variable;
    json_array_foreach(json_object_get(root, "panels"), i, panel)
    {
        const char *title = json_string_value(json_object_get(panel, "title"));
        json_array_foreach(json_object_get(panel, "targets"), j, target)
        {
            const char *expr = json_string_value(json_object_get(target, "expr"));
            const char *ref = json_string_value(json_object_get(target, "refId"));
            ck_assert_msg(expr != NULL && expr[0] != '\0',
                          "panel \"%s\" has a target without expr", title ? title : "?");
            exprs_add(exprs, expr, "panel \"%.40s\" target %s", title ? title : "?",
                      ref ? ref : "?");
        }
    }
    json_array_foreach(json_object_get(json_object_get(root, "templating"), "list"), i,
                       variable)
    {
        if (strcmp(text_of(variable, "type"), "query") != 0)
            continue;
        json_t *query = json_object_get(variable, "query");
        const char *text = json_is_object(query)
                               ? json_string_value(json_object_get(query, "query"))
                               : json_string_value(query);
        ck_assert_ptr_nonnull(text);
        const char *name = json_string_value(json_object_get(variable, "name"));
        if (strncmp(text, "label_values(", 13) == 0) {
            /* label_values(METRIC, label): only the first argument is PromQL */
            char metric[256];
            snprintf(metric, sizeof metric, "%.*s", (int)strcspn(text + 13, ","),
                     text + 13);
            exprs_add(exprs, metric, "variable %s", name ? name : "?");
        } else {
            exprs_add(exprs, text, "variable %s", name ? name : "?");
        }
    }
}

/* The rules file's expr values: "expr: ..." on one line, or "expr: |" and
 * the lines indented deeper under it. */
static void rules_exprs(exprs_t *exprs, size_t *alerts)
{
    FILE *file = fopen(RULES, "r");
    ck_assert_msg(file != NULL, "cannot open %s", RULES);
    char line[1024], block[4096] = "", alert[96] = "?";
    size_t block_indent = 0;
    bool in_block = false;
    *alerts = 0;
    while (fgets(line, sizeof line, file) != NULL) {
        size_t indent = strspn(line, " ");
        const char *text = line + indent;
        if (in_block && (indent > block_indent || text[0] == '\n')) {
            strncat(block, text, sizeof block - strlen(block) - 1);
            continue;
        }
        if (in_block) {
            exprs_add(exprs, block, "alert %s", alert);
            in_block = false;
        }
        if (strncmp(text, "- alert: ", 9) == 0) {
            snprintf(alert, sizeof alert, "%.*s", (int)strcspn(text + 9, "\n"), text + 9);
            (*alerts)++;
        } else if (strncmp(text, "expr: ", 6) == 0) {
            const char *value = text + 6;
            if (value[0] == '|' || value[0] == '>') {
                in_block = true;
                block_indent = indent;
                block[0] = '\0';
            } else {
                char one[1024];
                snprintf(one, sizeof one, "%.*s", (int)strcspn(value, "\n"), value);
                exprs_add(exprs, one, "alert %s", alert);
            }
        }
    }
    if (in_block)
        exprs_add(exprs, block, "alert %s", alert);
    fclose(file);
}

static void scrape_names(names_t *series, names_t *families)
{
    cw_scrape_t scrape;
    CW_HARNESS_ASSERT(h,
                      metrics_text != NULL && cw_scrape_parse(metrics_text, &scrape) == 0,
                      "no scrape: %s", cw_harness_ops_error());
    for (size_t i = 0; i < scrape.sample_count; i++)
        names_add(series, scrape.samples[i].name, strlen(scrape.samples[i].name));
    for (size_t i = 0; families != NULL && i < scrape.family_count; i++)
        names_add(families, scrape.families[i].name, strlen(scrape.families[i].name));
    cw_scrape_free(&scrape);
}

/* Every metric of every expression is a series of the scrape, or a family it
 * declares (a labelled counter has no series before its first event). */
static void expect_exported(const exprs_t *exprs, const char *what)
{
    names_t series = {{0}, 0}, families = {{0}, 0};
    scrape_names(&series, &families);
    size_t checked = 0;
    for (size_t e = 0; e < exprs->count; e++) {
        names_t used = {{0}, 0};
        promql_metrics(exprs->items[e], &used);
        CW_HARNESS_ASSERT(h, used.count > 0, "%s, %s: no metric found in \"%s\"", what,
                          exprs->where[e], exprs->items[e]);
        for (size_t u = 0; u < used.count; u++) {
            const char *name = used.items[u];
            bool found = one_of(name, strlen(name), prometheus_own,
                                sizeof prometheus_own / sizeof prometheus_own[0]);
            for (size_t s = 0; s < series.count && !found; s++)
                found = strcmp(series.items[s], name) == 0;
            for (size_t f = 0; f < families.count && !found; f++)
                found = strcmp(families.items[f], name) == 0;
            CW_HARNESS_ASSERT(h, found,
                              "%s, %s: %s is not a metric cdrwarnd exports (%s)", what,
                              exprs->where[e], name, exprs->items[e]);
            checked++;
        }
        names_free(&used);
    }
    ck_assert_uint_gt(checked, 10);
    names_free(&series);
    names_free(&families);
}

/* ---- the tests ----------------------------------------------------------- */

START_TEST(promql_metric_names_are_told_from_functions_labels_and_variables)
{
    names_t names = {{0}, 0};
    promql_metrics(
        "histogram_quantile(0.99, sum by (le) (rate(a_bucket{instance=~\"$i\"}"
        "[$__rate_interval]))) / on (instance) group_left b + sum without(x) (c) "
        "offset 5m > bool 1e3 and time() - max by (p) (d:rec{l=\"x{y}\"}[5m:1m]) "
        "or vector(0) unless count(e) > inf",
        &names);
    ck_assert_uint_eq(names.count, 5);
    ck_assert_str_eq(names.items[0], "a_bucket");
    ck_assert_str_eq(names.items[1], "b");
    ck_assert_str_eq(names.items[2], "c");
    ck_assert_str_eq(names.items[3], "d:rec");
    ck_assert_str_eq(names.items[4], "e");
    names_free(&names);
}
END_TEST

START_TEST(the_dashboard_is_a_grafana_dashboard_with_a_stated_schema)
{
    json_t *root = dashboard();
    json_t *schema = json_object_get(root, "schemaVersion");
    ck_assert_msg(json_is_integer(schema) && json_integer_value(schema) >= 36,
                  "schemaVersion missing or older than Grafana 9");
    ck_assert_str_eq(json_string_value(json_object_get(root, "uid")), "cdrwarn");
    ck_assert_ptr_nonnull(json_string_value(json_object_get(root, "title")));
    /* the data source is chosen on import: a variable, never a fixed uid */
    bool has_datasource_variable = false;
    size_t i, j;
    json_t *item, *target;
    json_array_foreach(json_object_get(json_object_get(root, "templating"), "list"), i,
                       item)
    {
        if (strcmp(text_of(item, "type"), "datasource") == 0 &&
            strcmp(text_of(item, "query"), "prometheus") == 0)
            has_datasource_variable = true;
    }
    ck_assert_msg(has_datasource_variable, "no datasource variable of type prometheus");
    json_int_t ids[128];
    size_t panels = 0;
    json_array_foreach(json_object_get(root, "panels"), i, item)
    {
        const char *title = json_string_value(json_object_get(item, "title"));
        const char *type = json_string_value(json_object_get(item, "type"));
        ck_assert_msg(title != NULL && type != NULL, "panel %zu has no title or type", i);
        ck_assert_msg(strcmp(type, "row") == 0 || strcmp(type, "stat") == 0 ||
                          strcmp(type, "timeseries") == 0 || strcmp(type, "heatmap") == 0,
                      "panel \"%s\" has type %s", title, type);
        json_t *id = json_object_get(item, "id");
        ck_assert_msg(json_is_integer(id), "panel \"%s\" has no integer id", title);
        for (size_t k = 0; k < panels; k++)
            ck_assert_msg(ids[k] != json_integer_value(id), "panel id %lld twice",
                          (long long)ids[k]);
        ck_assert_uint_lt(panels, 128);
        ids[panels++] = json_integer_value(id);
        json_t *grid = json_object_get(item, "gridPos");
        json_int_t x = json_integer_value(json_object_get(grid, "x"));
        json_int_t w = json_integer_value(json_object_get(grid, "w"));
        ck_assert_msg(json_is_integer(json_object_get(grid, "h")) && w > 0 && x >= 0 &&
                          x + w <= 24,
                      "panel \"%s\" lies outside the 24-column grid", title);
        if (strcmp(type, "row") == 0)
            continue;
        ck_assert_msg(strcmp(text_of(json_object_get(item, "datasource"), "uid"),
                             "${datasource}") == 0,
                      "panel \"%s\" does not use the datasource variable", title);
        ck_assert_msg(json_array_size(json_object_get(item, "targets")) > 0,
                      "panel \"%s\" has no query", title);
        json_array_foreach(json_object_get(item, "targets"), j, target)
        {
            const char *ref = json_string_value(json_object_get(target, "refId"));
            ck_assert_msg(ref != NULL, "panel \"%s\" has a target without refId", title);
        }
    }
    ck_assert_uint_ge(panels, 10);
    json_decref(root);
}
END_TEST

/* promtool parses each query as the expr of a recording rule, with Grafana's
 * interval variables replaced by durations and the rest ($instance) by a
 * regular expression (they stand in label matchers only). */
START_TEST(every_dashboard_query_parses_as_promql)
{
    CW_HARNESS_REQUIRE(h);
    json_t *root = dashboard();
    exprs_t exprs = {{0}, {{0}}, 0};
    dashboard_exprs(root, &exprs);
    char path[512];
    snprintf(path, sizeof path, "%s/dashboard.rules.yml", cw_harness_dir(h));
    FILE *file = fopen(path, "w");
    ck_assert_ptr_nonnull(file);
    fprintf(file, "groups:\n  - name: dashboard\n    rules:\n");
    for (size_t e = 0; e < exprs.count; e++) {
        fprintf(file, "      - record: dashboard_query_%zu\n        expr: \"", e);
        for (const char *c = exprs.items[e]; *c != '\0'; c++) {
            if (strncmp(c, "$__rate_interval", 16) == 0) {
                fputs("5m", file);
                c += 15;
            } else if (strncmp(c, "$__interval", 11) == 0) {
                fputs("1m", file);
                c += 10;
            } else if (strncmp(c, "$__range", 8) == 0) {
                fputs("1h", file);
                c += 7;
            } else if (*c == '$') {
                fputs(".*", file);
                while (isalnum((unsigned char)c[1]) || c[1] == '_')
                    c++;
            } else if (*c == '"' || *c == '\\') {
                fprintf(file, "\\%c", *c);
            } else if (*c == '\n') {
                fputc(' ', file);
            } else {
                fputc(*c, file);
            }
        }
        fprintf(file, "\"\n");
    }
    fclose(file);
    char command[1024], output[8192] = "";
    snprintf(command, sizeof command, "promtool check rules '%s' 2>&1", path);
    FILE *pipe = popen(command, "r");
    ck_assert_msg(pipe != NULL, "cannot run promtool");
    size_t n = fread(output, 1, sizeof output - 1, pipe);
    output[n] = '\0';
    int status = pclose(pipe);
    ck_assert_msg(status == 0,
                  "promtool check rules on the dashboard's %zu queries (%s; "
                  "promtool is in the Debian package prometheus):\n%s",
                  exprs.count, path, output);
    exprs_free(&exprs);
    json_decref(root);
}
END_TEST

START_TEST(every_metric_the_dashboard_queries_is_exported)
{
    CW_OPS_REQUIRE(h);
    json_t *root = dashboard();
    exprs_t exprs = {{0}, {{0}}, 0};
    dashboard_exprs(root, &exprs);
    ck_assert_uint_ge(exprs.count, 20);
    expect_exported(&exprs, "ops/grafana/cdrwarn.json");
    exprs_free(&exprs);
    json_decref(root);
}
END_TEST

START_TEST(every_metric_the_alerting_rules_query_is_exported)
{
    CW_OPS_REQUIRE(h);
    exprs_t exprs = {{0}, {{0}}, 0};
    size_t alerts = 0;
    rules_exprs(&exprs, &alerts);
    ck_assert_uint_ge(alerts, 10);
    ck_assert_uint_eq(exprs.count, alerts);
    expect_exported(&exprs, "ops/prometheus/cdrwarn.rules.yml");
    exprs_free(&exprs);
}
END_TEST

/* A family the daemon exports that no panel shows is a gap in the
 * operator's view: a new metric comes with its panel. */
START_TEST(every_family_the_daemon_exports_is_on_the_dashboard)
{
    CW_OPS_REQUIRE(h);
    json_t *root = dashboard();
    exprs_t exprs = {{0}, {{0}}, 0};
    dashboard_exprs(root, &exprs);
    names_t used = {{0}, 0}, series = {{0}, 0}, families = {{0}, 0};
    for (size_t e = 0; e < exprs.count; e++)
        promql_metrics(exprs.items[e], &used);
    scrape_names(&series, &families);
    for (size_t f = 0; f < families.count; f++) {
        const char *family = families.items[f];
        size_t len = strlen(family);
        bool shown = false;
        for (size_t n = 0; not_on_dashboard[n] != NULL && !shown; n++)
            shown = strcmp(not_on_dashboard[n], family) == 0;
        for (size_t u = 0; u < used.count && !shown; u++)
            shown = strncmp(used.items[u], family, len) == 0 &&
                    (used.items[u][len] == '\0' ||
                     strcmp(used.items[u] + len, "_bucket") == 0 ||
                     strcmp(used.items[u] + len, "_sum") == 0 ||
                     strcmp(used.items[u] + len, "_count") == 0);
        CW_HARNESS_ASSERT(
            h, shown,
            "%s is on no panel of ops/grafana/cdrwarn.json: give it a panel "
            "(or list it in not_on_dashboard, saying why)",
            family);
    }
    names_free(&used);
    names_free(&series);
    names_free(&families);
    exprs_free(&exprs);
    json_decref(root);
}
END_TEST

/* CdrwarnWeekCloseLate compares the stream time with these: they must be
 * the running config's, not the defaults. */
START_TEST(the_time_settings_the_rules_compare_with_are_the_running_ones)
{
    CW_OPS_REQUIRE(h);
    cw_scrape_t scrape;
    CW_HARNESS_ASSERT(h, cw_scrape_parse(metrics_text, &scrape) == 0, "%s",
                      cw_harness_ops_error());
    const cw_scrape_sample_t *grace =
        cw_scrape_find(&scrape, "cdrwarn_late_grace_seconds");
    const cw_scrape_sample_t *idle =
        cw_scrape_find(&scrape, "cdrwarn_idle_close_seconds");
    CW_HARNESS_ASSERT(h, grace != NULL && grace->value == LATE_GRACE_S,
                      "cdrwarn_late_grace_seconds is %g, the config says %d",
                      grace ? grace->value : -1, LATE_GRACE_S);
    CW_HARNESS_ASSERT(h, idle != NULL && idle->value == IDLE_CLOSE_S,
                      "cdrwarn_idle_close_seconds is %g, the config says %d",
                      idle ? idle->value : -1, IDLE_CLOSE_S);
    const cw_scrape_family_t *family =
        cw_scrape_family(&scrape, "cdrwarn_late_grace_seconds");
    CW_HARNESS_ASSERT(
        h, family != NULL && strcmp(family->type, "gauge") == 0 && family->has_help,
        "cdrwarn_late_grace_seconds is not a gauge with HELP");
    cw_scrape_free(&scrape);
}
END_TEST

static Suite *ops_dashboard_suite(void)
{
    Suite *s = suite_create("ops_dashboard");
    TCase *tc = tcase_create("promql");
    tcase_add_test(tc, promql_metric_names_are_told_from_functions_labels_and_variables);
    tcase_add_test(tc, the_dashboard_is_a_grafana_dashboard_with_a_stated_schema);
    suite_add_tcase(s, tc);

    tc = tcase_create("scraped");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_dashboard_query_parses_as_promql);
    tcase_add_test(tc, every_metric_the_dashboard_queries_is_exported);
    tcase_add_test(tc, every_metric_the_alerting_rules_query_is_exported);
    tcase_add_test(tc, every_family_the_daemon_exports_is_on_the_dashboard);
    tcase_add_test(tc, the_time_settings_the_rules_compare_with_are_the_running_ones);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ops_dashboard_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
