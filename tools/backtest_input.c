/* cdrwarn-backtest's input: JSON lines read from files or standard input
 * into records, a batch at a time, without a copy per event beyond one
 * arena (see backtest.h), and the generic source that Kafka input plugs
 * into. */
#include "backtest.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "sha256.h"

#define BUF_SIZE (1024 * 1024)        /* bytes read at once; longer lines are streamed */
#define ARENA_SIZE (16 * 1024 * 1024) /* records of one batch */

struct bt_source {
    const bt_source_ops_t *ops; /* NULL: files */
    void *impl;
    /* files */
    const char *const *paths;
    size_t path_count;
    size_t next_path;
    int fd;          /* -1: none open */
    bool from_stdin; /* fd is standard input: not closed */
    bool eof;        /* of the open file */
    bool rewindable;
    char *buf;
    size_t len, pos;
    bt_batch_t batch; /* the records handed out last */
};

bt_source_t *bt_source_new(const bt_source_ops_t *ops, void *impl)
{
    bt_source_t *source = cw_calloc(1, sizeof *source);
    if (source == NULL)
        return NULL;
    source->ops = ops;
    source->impl = impl;
    source->fd = -1;
    return source;
}

bt_source_t *bt_source_files(const char *const *paths, size_t count, char *err,
                             size_t err_size)
{
    static const char *const stdin_only[] = {"-"};
    if (count == 0) {
        paths = stdin_only;
        count = 1;
    }
    bool rewindable = true;
    for (size_t i = 0; i < count; i++) {
        struct stat st;
        if (strcmp(paths[i], "-") == 0) {
            rewindable = false;
            continue;
        }
        if (stat(paths[i], &st) != 0) {
            snprintf(err, err_size, "%s: %s", paths[i], strerror(errno));
            return NULL;
        }
        if (S_ISDIR(st.st_mode)) {
            snprintf(err, err_size, "%s: is a directory, expected a file of JSON lines",
                     paths[i]);
            return NULL;
        }
        rewindable &= S_ISREG(st.st_mode);
    }
    bt_source_t *source = bt_source_new(NULL, NULL);
    if (source == NULL)
        goto oom;
    source->paths = paths;
    source->path_count = count;
    source->rewindable = rewindable;
    source->buf = cw_malloc(BUF_SIZE);
    if (source->buf == NULL || bt_batch_init(&source->batch) != 0)
        goto oom;
    return source;
oom:
    bt_source_free(source);
    snprintf(err, err_size, "out of memory");
    return NULL;
}

bool bt_source_rewindable(const bt_source_t *source)
{
    return source->ops != NULL ? source->ops->rewind != NULL : source->rewindable;
}

static void close_file(bt_source_t *source)
{
    if (source->fd >= 0 && !source->from_stdin)
        close(source->fd);
    source->fd = -1;
}

int bt_source_rewind(bt_source_t *source, char *err, size_t err_size)
{
    if (source->ops != NULL) {
        if (source->ops->rewind == NULL) {
            snprintf(err, err_size, "this input cannot be read twice");
            return -1;
        }
        return source->ops->rewind(source->impl, err, err_size);
    }
    if (!source->rewindable) {
        snprintf(err, err_size, "standard input cannot be read twice");
        return -1;
    }
    close_file(source);
    source->next_path = 0;
    source->len = source->pos = 0;
    source->eof = false;
    source->batch.next_offset = 0;
    return 0;
}

void bt_source_free(bt_source_t *source)
{
    if (source == NULL)
        return;
    if (source->ops != NULL && source->ops->free != NULL)
        source->ops->free(source->impl);
    close_file(source);
    cw_free(source->buf);
    bt_batch_free(&source->batch);
    cw_free(source);
}

/* ---- records ------------------------------------------------------------------ */

int bt_batch_init(bt_batch_t *batch)
{
    memset(batch, 0, sizeof *batch);
    batch->arena = cw_malloc(ARENA_SIZE);
    batch->records = cw_malloc(BT_BATCH_RECORDS * sizeof *batch->records);
    if (batch->arena == NULL || batch->records == NULL) {
        bt_batch_free(batch);
        return -1;
    }
    return 0;
}

void bt_batch_free(bt_batch_t *batch)
{
    cw_free(batch->arena);
    cw_free(batch->records);
    memset(batch, 0, sizeof *batch);
}

void bt_batch_reset(bt_batch_t *batch)
{
    batch->count = 0;
    batch->arena_len = 0;
}

static size_t aligned(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

bool bt_batch_room(const bt_batch_t *batch, size_t key_len)
{
    size_t most = cw_record_data_size(key_len, CW_RECORD_VALUE_KEPT + 1);
    return batch->count < BT_BATCH_RECORDS &&
           batch->arena_len + aligned(sizeof(cw_record_t) + most) <= ARENA_SIZE;
}

/* Adds a record holding `held` bytes of a value of `bytes` bytes (more when
 * it was cut: sha256_hex is then the whole value's digest). */
static void add_record(bt_batch_t *batch, const void *key, size_t key_len,
                       const char *value, size_t held, size_t bytes,
                       const char *sha256_hex)
{
    cw_record_t *record = (cw_record_t *)(batch->arena + batch->arena_len);
    batch->arena_len += aligned(sizeof *record + cw_record_data_size(key_len, bytes));
    record->offset = batch->next_offset++;
    record->partition = 0;
    record->topic = 0;
    record->has_key = key != NULL;
    record->key_len = key != NULL ? key_len : 0;
    record->value_len = held;
    record->value_bytes = bytes;
    if (record->key_len > 0)
        memcpy(record->data, key, key_len);
    memcpy(record->data + record->key_len, value, held);
    if (sha256_hex != NULL)
        memcpy(record->data + record->key_len + held, sha256_hex, CW_RECORD_SHA256_HEX);
    batch->records[batch->count++] = record;
}

void bt_batch_add(bt_batch_t *batch, const void *key, size_t key_len, const char *value,
                  size_t len)
{
    if (len <= CW_RECORD_VALUE_KEPT) {
        add_record(batch, key, key_len, value, len, len, NULL);
        return;
    }
    char digest[CW_SHA256_HEX_SIZE];
    cw_sha256_hex(value, len, digest);
    add_record(batch, key, key_len, value, CW_RECORD_VALUE_KEPT, len, digest);
}

static bool blank(const char *line, size_t len)
{
    return len == 0 || (len == 1 && line[0] == '\r');
}

/* A whole line in the buffer. */
static void add_line(bt_source_t *source, const char *line, size_t len)
{
    if (!blank(line, len))
        bt_batch_add(&source->batch, NULL, 0, line, len);
}

/* ---- reading ---------------------------------------------------------------- */

static int open_next(bt_source_t *source, char *err, size_t err_size)
{
    close_file(source);
    const char *path = source->paths[source->next_path++];
    source->from_stdin = strcmp(path, "-") == 0;
    source->fd = source->from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (source->fd < 0) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    source->eof = false;
    return 0;
}

static const char *current_path(const bt_source_t *source)
{
    return source->next_path > 0 ? source->paths[source->next_path - 1] : "input";
}

/* Reads what follows the buffer's bytes; sets eof at the file's end. */
static int fill(bt_source_t *source, char *err, size_t err_size)
{
    if (source->pos > 0) {
        memmove(source->buf, source->buf + source->pos, source->len - source->pos);
        source->len -= source->pos;
        source->pos = 0;
    }
    for (;;) {
        ssize_t got = read(source->fd, source->buf + source->len, BUF_SIZE - source->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(err, err_size, "%s: %s", current_path(source), strerror(errno));
            return -1;
        }
        source->len += (size_t)got;
        source->eof = got == 0;
        return 0;
    }
}

/* The buffer is full and holds no line end: a line longer than the buffer,
 * kept as its first bytes and the digest of all of it. */
static int add_long_line(bt_source_t *source, char *err, size_t err_size)
{
    char *head = cw_malloc(CW_RECORD_VALUE_KEPT);
    if (head == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    memcpy(head, source->buf, CW_RECORD_VALUE_KEPT);
    cw_sha256_t sha;
    cw_sha256_init(&sha);
    cw_sha256_update(&sha, source->buf, source->len);
    size_t total = source->len;
    source->len = source->pos = 0;
    for (;;) {
        if (fill(source, err, err_size) != 0) {
            cw_free(head);
            return -1;
        }
        if (source->eof)
            break;
        const char *nl = memchr(source->buf, '\n', source->len);
        size_t part = nl != NULL ? (size_t)(nl - source->buf) : source->len;
        cw_sha256_update(&sha, source->buf, part);
        total += part;
        if (nl != NULL) {
            source->pos = part + 1;
            break;
        }
        source->len = 0;
    }
    uint8_t digest[32];
    char hex[CW_SHA256_HEX_SIZE];
    cw_sha256_final(&sha, digest);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    add_record(&source->batch, NULL, 0, head, CW_RECORD_VALUE_KEPT, total, hex);
    cw_free(head);
    return 0;
}

static int next_files(bt_source_t *source, char *err, size_t err_size)
{
    while (bt_batch_room(&source->batch, 0)) {
        if (source->fd < 0) {
            if (source->next_path == source->path_count)
                return 0; /* every file read */
            if (open_next(source, err, err_size) != 0)
                return -1;
            source->len = source->pos = 0;
        }
        const char *start = source->buf + source->pos;
        const char *nl = memchr(start, '\n', source->len - source->pos);
        if (nl != NULL) {
            add_line(source, start, (size_t)(nl - start));
            source->pos += (size_t)(nl - start) + 1;
            continue;
        }
        if (source->eof) {
            /* the last line of a file may lack its line end */
            add_line(source, start, source->len - source->pos);
            source->len = source->pos = 0;
            close_file(source);
            continue;
        }
        if (source->pos == 0 && source->len == BUF_SIZE) {
            if (add_long_line(source, err, err_size) != 0)
                return -1;
            continue;
        }
        if (fill(source, err, err_size) != 0)
            return -1;
    }
    return 0;
}

int bt_source_next(bt_source_t *source, const cw_record_t *const **records, size_t *count,
                   char *err, size_t err_size)
{
    if (source->ops != NULL)
        return source->ops->next(source->impl, records, count, err, err_size);
    bt_batch_reset(&source->batch);
    int rc = next_files(source, err, err_size);
    *records = source->batch.records;
    *count = rc == 0 ? source->batch.count : 0;
    return rc;
}
