/* tests/test_predict_fetch.c — URL sources for real: a python3 http.server on 127.0.0.1 (free
 * port) serves the coco8-pose val folder; downloads must match the files byte for byte, a 404
 * is an error naming the URL, and the temporary download folder disappears with the sources. */
/* cpose-layer: predict */
#include "tests/testlib.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "core/base/alloc.h"
#include "core/base/fetch.h"
#include "core/base/fsutil.h"
#include "core/predict/predict.h"

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(s, (struct sockaddr *)&a, &len) != 0) {
        close(s);
        return -1;
    }
    close(s);
    return ntohs(a.sin_port);
}

static int can_connect(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

int main(void)
{
    const char *dir = tl_fixture("coco8-pose/images/val");
    int port = free_port();
    if (port <= 0) {
        printf("SKIP: no free local port\n");
        return 77;
    }
    char ports[16];
    snprintf(ports, sizeof ports, "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) { dup2(devnull, 1); dup2(devnull, 2); }
        execlp("python3", "python3", "-m", "http.server", ports, "--bind", "127.0.0.1", "--directory", dir, (char *)NULL);
        _exit(127);
    }
    int up = 0;
    for (int i = 0; i < 100 && !up; i++) {
        up = can_connect(port);
        if (!up) usleep(50000);
    }
    if (!up) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        printf("SKIP: python3 -m http.server did not start\n");
        return 77;
    }

    char *url = cpose_asprintf("http://127.0.0.1:%d/000000000113.jpg", port);
    struct cpose_sources s;
    CHECK(cpose_sources_open(url, &s) == CPOSE_OK);
    CHECK(s.n == 1);
    char *tmp = s.tmp_dir ? cpose_strdup(s.tmp_dir) : NULL;
    if (s.n == 1) {
        char a[65], b[65];
        char *orig = cpose_path_join(dir, "000000000113.jpg");
        CHECK(cpose_sha256_file(s.paths[0], a) == CPOSE_OK);
        CHECK(cpose_sha256_file(orig, b) == CPOSE_OK);
        CHECK(strcmp(a, b) == 0);
        CHECK(strcmp(cpose_path_basename(s.paths[0]), "000000000113.jpg") == 0);
        struct cpose_image img = {0};
        CHECK(cpose_image_read(s.paths[0], &img) == CPOSE_OK && img.w == 416 && img.h == 640);
        cpose_image_free(&img);
        cpose_free(orig);
    }
    cpose_sources_free(&s);
    CHECK(tmp && !cpose_path_is_dir(tmp));
    cpose_free(tmp);

    /* A .txt list mixing a URL and a local file. */
    const char *t = tl_tmpdir("predurl");
    char *list = cpose_path_join(t, "list.txt");
    FILE *f = fopen(list, "w");
    fprintf(f, "%s\n%s/000000000110.jpg\n", url, dir);
    fclose(f);
    CHECK(cpose_sources_open(list, &s) == CPOSE_OK);
    CHECK(s.n == 2);
    cpose_sources_free(&s);

    char *bad = cpose_asprintf("http://127.0.0.1:%d/missing.jpg", port);
    CHECK(cpose_sources_open(bad, &s) == CPOSE_EIO);
    CHECK_CONTAINS(cpose_errmsg(), bad);
    CHECK_CONTAINS(cpose_errmsg(), "404");
    char *dst = cpose_path_join(t, "x.jpg");
    CHECK(cpose_fetch_url(bad, dst, 5) == CPOSE_EIO);
    CHECK(!cpose_path_is_file(dst));

    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    cpose_free(url); cpose_free(bad); cpose_free(list); cpose_free(dst);
    return tl_finish();
}
