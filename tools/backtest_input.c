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
#define BATCH_RECORDS 16384

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
    int64_t offset; /* of the next record */
    /* the batch */
    char *arena;
    size_t arena_len;
    const cw_record_t **records;
    size_t record_count;
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
    source->arena = cw_malloc(ARENA_SIZE);
    source->records = cw_malloc(BATCH_RECORDS * sizeof *source->records);
    if (source->buf == NULL || source->arena == NULL || source->records == NULL)
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
    source->offset = 0;
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
    cw_free(source->arena);
    cw_free(source->records);
    cw_free(source);
}

/* ---- records --------------------------------------------------------------- */

static size_t aligned(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* Room in the batch for a record of this many data bytes. */
static bool has_room(const bt_source_t *source, size_t data_size)
{
    return source->record_count < BATCH_RECORDS &&
           source->arena_len + aligned(sizeof(cw_record_t) + data_size) <= ARENA_SIZE;
}

/* Adds a record: value holds `held` bytes of a value of `bytes` bytes
 * (more when it was cut, then sha256_hex is its digest). */
static void add_record(bt_source_t *source, const char *value, size_t held, size_t bytes,
                       const char *sha256_hex)
{
    cw_record_t *record = (cw_record_t *)(source->arena + source->arena_len);
    source->arena_len += aligned(sizeof *record + cw_record_data_size(0, bytes));
    record->offset = source->offset++;
    record->partition = 0;
    record->topic = 0;
    record->has_key = false;
    record->key_len = 0;
    record->value_len = held;
    record->value_bytes = bytes;
    memcpy(record->data, value, held);
    if (sha256_hex != NULL)
        memcpy(record->data + held, sha256_hex, CW_RECORD_SHA256_HEX);
    source->records[source->record_count++] = record;
}

static bool blank(const char *line, size_t len)
{
    return len == 0 || (len == 1 && line[0] == '\r');
}

/* A whole line in the buffer. */
static void add_line(bt_source_t *source, const char *line, size_t len)
{
    if (blank(line, len))
        return;
    if (len <= CW_RECORD_VALUE_KEPT) {
        add_record(source, line, len, len, NULL);
        return;
    }
    char digest[CW_SHA256_HEX_SIZE];
    cw_sha256_hex(line, len, digest);
    add_record(source, line, CW_RECORD_VALUE_KEPT, len, digest);
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
    add_record(source, head, CW_RECORD_VALUE_KEPT, total, hex);
    cw_free(head);
    return 0;
}

static int next_files(bt_source_t *source, char *err, size_t err_size)
{
    while (has_room(source, CW_RECORD_VALUE_KEPT + CW_RECORD_SHA256_HEX)) {
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
    source->record_count = 0;
    source->arena_len = 0;
    int rc = next_files(source, err, err_size);
    *records = source->records;
    *count = rc == 0 ? source->record_count : 0;
    return rc;
}
