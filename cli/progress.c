/*
 * progress.c - see progress.h: the redrawn progress line on stderr and the clock behind the
 * verbs' summaries.
 */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define REDRAW_INTERVAL 0.1 /* seconds: at most ten redraws a second */
#define BAR_WIDTH 24

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double cli_mib_per_s(uint64_t bytes, double seconds)
{
    return seconds > 0.0 ? (double)bytes / (1024.0 * 1024.0) / seconds : 0.0;
}

int cli_opt_quiet(const cli_command *cmd, void *args, void *show, char *arg)
{
    (void)cmd, (void)args, (void)arg;
    *(cli_show *)show = CLI_SHOW_QUIET;
    cli_set_quiet(1);
    return CLI_OK;
}

void cli_progress_start(cli_progress *p, cli_show show, uint64_t total)
{
    memset(p, 0, sizeof *p);
    p->bar = show == CLI_SHOW_PROGRESS || (show == CLI_SHOW_AUTO && isatty(STDERR_FILENO));
    p->total = total;
    p->start = p->last = cli_now();
    struct winsize ws;
    if (p->bar && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        p->columns = ws.ws_col;
}

double cli_progress_elapsed(const cli_progress *p)
{
    return cli_now() - p->start;
}

int cli_progress_shown(const cli_progress *p)
{
    return p->bar;
}

/* "1:05" or "2:03:04". */
static void format_duration(double seconds, char *out, size_t cap)
{
    unsigned long s = seconds > 0.0 && seconds < 1e9 ? (unsigned long)(seconds + 0.5) : 0;
    if (s >= 3600) snprintf(out, cap, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
    else snprintf(out, cap, "%lu:%02lu", s / 60, s % 60);
}

/* " 42% [##########..............] 12.3 MiB / 29.2 MiB" */
static int format_known(const cli_progress *p, char *out, size_t cap)
{
    uint64_t done = p->done < p->total ? p->done : p->total;
    unsigned pct = (unsigned)((double)done * 100.0 / (double)p->total);
    unsigned fill = (unsigned)((double)done * BAR_WIDTH / (double)p->total);
    char bar[BAR_WIDTH + 1], have[32], want[32];
    for (unsigned i = 0; i < BAR_WIDTH; i++) bar[i] = i < fill ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    cli_human_bytes(done, have, sizeof have);
    cli_human_bytes(p->total, want, sizeof want);
    return snprintf(out, cap, "%3u%% [%s] %s / %s", pct, bar, have, want);
}

/* The whole line, without the leading '\r'. */
static void format_line(const cli_progress *p, double now, int final, char *out, size_t cap)
{
    double elapsed = now - p->start;
    double rate = cli_mib_per_s(p->done, elapsed);
    char done[32], eta[32];
    int n;
    if (p->total) {
        n = format_known(p, out, cap);
    } else {
        cli_human_bytes(p->done, done, sizeof done);
        n = snprintf(out, cap, "%s", done);
    }
    if (n < 0 || (size_t)n >= cap) return;
    n += snprintf(out + n, cap - (size_t)n, "  %.1f MiB/s", rate);
    if (final) {
        format_duration(elapsed, eta, sizeof eta);
        snprintf(out + n, cap - (size_t)n, "  done in %s", eta);
    } else if (p->total) {
        double left = rate > 0.0 && p->done < p->total
                          ? (double)(p->total - p->done) / (1024.0 * 1024.0) / rate
                          : 0.0;
        if (p->done > 0) format_duration(left, eta, sizeof eta);
        else snprintf(eta, sizeof eta, "--:--");
        snprintf(out + n, cap - (size_t)n, "  ETA %s", eta);
    }
}

static void draw(cli_progress *p, double now, int final)
{
    char line[160];
    format_line(p, now, final, line, sizeof line);
    size_t len = strlen(line);
    if (p->columns && len >= p->columns) line[len = p->columns - 1] = '\0';
    int pad = p->width > len ? (int)(p->width - len) : 0;
    fprintf(stderr, "\r%s%*s", line, pad, "");
    fflush(stderr);
    p->width = len;
    p->last = now;
    p->drawn = 1;
}

int cli_progress_update(const hexz_progress *progress, void *user)
{
    cli_progress *p = user;
    p->report = *progress;
    if (progress->bytes_total) p->total = progress->bytes_total;
    p->done = p->count_out ? progress->bytes_out : progress->bytes_in;
    if (p->bar) {
        double now = cli_now();
        if (!p->drawn || now - p->last >= REDRAW_INTERVAL) draw(p, now, 0);
    }
    return cli_interrupted();
}

void cli_progress_clear(cli_progress *p)
{
    if (!p->drawn) return;
    fprintf(stderr, "\r%*s\r", (int)p->width, "");
    fflush(stderr);
    p->drawn = 0;
    p->width = 0;
}

void cli_progress_end(cli_progress *p, int ok)
{
    if (!p->bar) return;
    if (ok) {
        if (p->total) p->done = p->total;
        draw(p, cli_now(), 1);
    }
    if (p->drawn) fputc('\n', stderr);
    p->drawn = 0;
}
