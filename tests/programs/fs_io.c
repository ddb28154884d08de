/* File I/O: read/write, lseek SEEK_SET/CUR/END, holes after seeking beyond
 * EOF, pread/pwrite (the offset does not move), readv/writev/preadv/pwritev,
 * shared offsets of dup'd fds, EBADF/EISDIR/EINVAL/ESPIPE misuse, a large
 * file round trip, sendfile, copy_file_range, fallocate, FIONREAD, TCGETS. */
#include "fs_util.h"

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>

static void test_seek(void)
{
    int fd = open("s", O_RDWR | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0, "create s");
    CHECK_RET(write(fd, "0123456789", 10), 10);
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 10);
    CHECK_RET(lseek(fd, 2, SEEK_SET), 2);
    char b[16] = "";
    CHECK_RET(read(fd, b, 3), 3);
    CHECK(memcmp(b, "234", 3) == 0, "read after SEEK_SET: %.3s", b);
    CHECK_RET(lseek(fd, 1, SEEK_CUR), 6);
    CHECK_RET(read(fd, b, 2), 2);
    CHECK(memcmp(b, "67", 2) == 0, "read after SEEK_CUR: %.2s", b);
    CHECK_RET(lseek(fd, -3, SEEK_END), 7);
    CHECK_RET(read(fd, b, 16), 3);
    CHECK(memcmp(b, "789", 3) == 0, "read after SEEK_END: %.3s", b);
    CHECK_RET(read(fd, b, 16), 0);
    CHECK_RET(lseek(fd, 0, SEEK_END), 10);
    CHECK_ERRNO(lseek(fd, -11, SEEK_END), EINVAL);
    CHECK_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
    CHECK_ERRNO(lseek(fd, 0, 42), EINVAL);
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 10);

    /* Seeking beyond EOF is allowed; reading there gives EOF; writing
     * there leaves a hole that reads back as zeros. */
    CHECK_RET(lseek(fd, 100000, SEEK_SET), 100000);
    CHECK_RET(read(fd, b, 16), 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 10, "seek changed size to %ld",
          (long)st.st_size);
    CHECK_RET(write(fd, "end", 3), 3);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 100003, "size %ld after hole write",
          (long)st.st_size);
    static char big[100003];
    CHECK_RET(pread(fd, big, sizeof big, 0), 100003);
    int zeros = 1;
    for (int i = 10; i < 100000; i++)
        zeros &= big[i] == 0;
    CHECK(zeros, "the hole is not zeros");
    CHECK(memcmp(big, "0123456789", 10) == 0 && memcmp(big + 100000, "end", 3) == 0,
          "data around the hole");
    /* SEEK_DATA at 0 of a file with data at 0 is 0; SEEK_HOLE finds the end at worst. */
    off_t d = lseek(fd, 0, SEEK_DATA);
    CHECK(d == 0, "SEEK_DATA 0: %ld", (long)d);
    off_t h = lseek(fd, 0, SEEK_HOLE);
    CHECK(h > 0 && h <= 100003, "SEEK_HOLE: %ld", (long)h);
    CHECK_ERRNO(lseek(fd, 200000, SEEK_DATA), ENXIO);
    close(fd);
}

static void test_pread_pwrite(void)
{
    int fd = open("p", O_RDWR | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0, "create p");
    CHECK_RET(write(fd, "abcdef", 6), 6);
    CHECK_RET(lseek(fd, 1, SEEK_SET), 1);
    char b[16] = "";
    CHECK_RET(pread(fd, b, 3, 3), 3);
    CHECK(memcmp(b, "def", 3) == 0, "pread: %.3s", b);
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 1);
    CHECK_RET(pwrite(fd, "XY", 2, 4), 2);
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 1);
    CHECK_RET(pread(fd, b, 16, 6), 0);
    CHECK_RET(pread(fd, b, 16, 1000), 0);
    CHECK_ERRNO(pread(fd, b, 1, -1), EINVAL);
    CHECK_ERRNO(pwrite(fd, b, 1, -1), EINVAL);
    /* pwrite beyond the end extends the file with a hole. */
    CHECK_RET(pwrite(fd, "Z", 1, 10), 1);
    CHECK_RET(pread(fd, b, 16, 0), 11);
    CHECK(memcmp(b, "abcdXY\0\0\0\0Z", 11) == 0, "after pwrite beyond EOF");
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 1);

    /* Vectored forms. */
    struct iovec w[3] = {{"one ", 4}, {"", 0}, {"two", 3}};
    CHECK_RET(lseek(fd, 0, SEEK_SET), 0);
    CHECK_RET(writev(fd, w, 3), 7);
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 7);
    char r1[3], r2[5];
    struct iovec r[2] = {{r1, 3}, {r2, 5}};
    CHECK_RET(lseek(fd, 0, SEEK_SET), 0);
    CHECK_RET(readv(fd, r, 2), 8);
    CHECK(memcmp(r1, "one", 3) == 0 && memcmp(r2, " two\0", 5) == 0, "readv");
    struct iovec pw[2] = {{"AB", 2}, {"CD", 2}};
    CHECK_RET(pwritev(fd, pw, 2, 1), 4);
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 8);
    CHECK_RET(preadv(fd, r, 2, 0), 8);
    CHECK(memcmp(r1, "oAB", 3) == 0 && memcmp(r2, "CDwo\0", 5) == 0, "preadv");
    CHECK_RET(lseek(fd, 0, SEEK_CUR), 8);
    close(fd);
}

static void test_fd_semantics(void)
{
    put_file("f", 0644, "0123456789");
    int a = open("f", O_RDONLY);
    int b = dup(a);
    int c = open("f", O_RDONLY);
    char x[4];
    CHECK_RET(read(a, x, 4), 4);
    /* dup shares the open file description, so the offset too. */
    CHECK_RET(lseek(b, 0, SEEK_CUR), 4);
    CHECK_RET(lseek(c, 0, SEEK_CUR), 0);
    CHECK_RET(read(b, x, 2), 2);
    CHECK(memcmp(x, "45", 2) == 0, "dup read %.2s", x);
    int d = fcntl(a, F_DUPFD, 50);
    CHECK(d >= 50, "F_DUPFD gave %d", d);
    CHECK_RET(lseek(d, 0, SEEK_CUR), 6);
    close(a);
    close(b);
    close(c);
    close(d);

    /* Access mode and type misuse. */
    int ro = open("f", O_RDONLY), wo = open("f", O_WRONLY);
    CHECK_ERRNO(write(ro, "x", 1), EBADF);
    CHECK_ERRNO(read(wo, x, 1), EBADF);
    CHECK_ERRNO(pread(wo, x, 1, 0), EBADF);
    CHECK_ERRNO(pwrite(ro, "x", 1, 0), EBADF);
    close(ro);
    close(wo);
    CHECK_ERRNO(read(ro, x, 1), EBADF);
    CHECK_ERRNO(close(ro), EBADF);
    CHECK_RET(mkdir("d", 0755), 0);
    int dfd = open("d", O_RDONLY);
    CHECK_ERRNO(read(dfd, x, 1), EISDIR);
    CHECK_ERRNO(pread(dfd, x, 1, 0), EISDIR);
    close(dfd);

    /* Zero-length I/O. */
    int rw = open("f", O_RDWR);
    CHECK_RET(read(rw, x, 0), 0);
    CHECK_RET(write(rw, x, 0), 0);
    CHECK_ERRNO(syscall(SYS_read, rw, NULL, 1), EFAULT);
    CHECK_ERRNO(syscall(SYS_write, rw, (void *)8, 1), EFAULT);

    /* ioctls: FIONREAD gives the bytes left; a file is not a terminal. */
    int left = -1;
    CHECK_RET(lseek(rw, 3, SEEK_SET), 3);
    CHECK_RET(ioctl(rw, FIONREAD, &left), 0);
    CHECK(left == 7, "FIONREAD %d, want 7", left);
    struct termios t;
    CHECK_ERRNO(ioctl(rw, TCGETS, &t), ENOTTY);
    CHECK_RET(isatty(rw), 0);
    CHECK_RET(fsync(rw), 0);
    CHECK_RET(fdatasync(rw), 0);
    close(rw);
}

static void test_large(void)
{
    enum { SIZE = 3 * 1024 * 1024 + 17 };
    static unsigned char out[SIZE], in[SIZE];
    for (size_t i = 0; i < SIZE; i++)
        out[i] = (unsigned char)(i * 2654435761u >> 13);
    int fd = open("large", O_RDWR | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0, "create large");
    size_t done = 0;
    while (done < SIZE) {
        ssize_t w = write(fd, out + done, SIZE - done > 100000 ? 100000 : SIZE - done);
        REQUIRE(w > 0, "write large: %s", strerror(errno));
        done += (size_t)w;
    }
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == SIZE, "large size %ld", (long)st.st_size);
    CHECK(st.st_blocks * 512 >= SIZE, "st_blocks %ld for %d bytes", (long)st.st_blocks, SIZE);
    CHECK_RET(lseek(fd, 0, SEEK_SET), 0);
    done = 0;
    while (done < SIZE) {
        ssize_t r = read(fd, in + done, SIZE - done);
        REQUIRE(r > 0, "read large: %zd %s", r, strerror(errno));
        done += (size_t)r;
    }
    CHECK(memcmp(in, out, SIZE) == 0, "large file read back differs");
    close(fd);

    /* sendfile and copy_file_range copy it; sendfile moves its offset arg. */
    int src = open("large", O_RDONLY);
    int dst = open("copy1", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    off_t off = 1000;
    ssize_t n = sendfile(dst, src, &off, 5000);
    CHECK(n == 5000 && off == 6000, "sendfile %zd off %ld", n, (long)off);
    CHECK_RET(lseek(src, 0, SEEK_CUR), 0);
    close(dst);
    int chk = open("copy1", O_RDONLY);
    CHECK_RET(pread(chk, in, 5000, 0), 5000);
    close(chk);
    CHECK(memcmp(in, out + 1000, 5000) == 0, "sendfile copy differs");
    dst = open("copy2", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    off_t ioff = 0, ooff = 0;
    done = 0;
    while (done < SIZE) {
        ssize_t c = copy_file_range(src, &ioff, dst, &ooff, SIZE - done, 0);
        REQUIRE(c > 0, "copy_file_range: %zd %s", c, strerror(errno));
        done += (size_t)c;
    }
    CHECK(fstat(dst, &st) == 0 && st.st_size == SIZE, "copy_file_range size %ld",
          (long)st.st_size);
    close(dst);
    close(src);
    chk = open("copy2", O_RDONLY);
    CHECK_RET(pread(chk, in, SIZE, 0), SIZE);
    close(chk);
    CHECK(memcmp(in, out, SIZE) == 0, "copy_file_range copy differs");
}

static void test_fallocate(void)
{
    int fd = open("fa", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK_RET(fallocate(fd, 0, 0, 65536), 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 65536, "fallocate size %ld", (long)st.st_size);
    CHECK_RET(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 200000), 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 65536, "KEEP_SIZE changed size to %ld",
          (long)st.st_size);
    char z[16] = "xxxxxxxxxxxxxxx";
    CHECK_RET(pread(fd, z, 16, 1000), 16);
    CHECK(memcmp(z, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0, "fallocated bytes not zero");
    CHECK_ERRNO(fallocate(fd, 0, -1, 10), EINVAL);
    CHECK_ERRNO(fallocate(fd, 0, 0, 0), EINVAL);
    close(fd);
    fd = open("fa", O_RDONLY);
    CHECK_ERRNO(fallocate(fd, 0, 0, 10), EBADF);
    close(fd);
}

int main(void)
{
    scratch_enter("fs_io");
    umask(022);
    test_seek();
    test_pread_pwrite();
    test_fd_semantics();
    test_large();
    test_fallocate();
    scratch_leave();
    return check_done("fs_io");
}
