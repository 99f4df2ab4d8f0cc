# helpdesk: a small runtime image. Build with `docker build -t helpdesk .`, run with
#   docker run -p 8080:8080 -v helpdesk-data:/data helpdesk
# The SQLite database lives on the /data volume; the process runs as an unprivileged user.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so a source change does not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src
COPY build.rs build.rs
COPY src src
COPY templates templates
COPY static static
COPY migrations migrations
COPY content content
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin helpdesk \
    && mkdir -p /data && chown helpdesk /data
COPY --from=build /src/target/release/helpdesk /usr/local/bin/helpdesk
USER helpdesk
WORKDIR /data
VOLUME ["/data"]
# Two malloc arenas instead of one per SQLite connection thread: a much lower peak RSS under load
# (docs/BENCHMARKS.md), at no measurable cost.
ENV MALLOC_ARENA_MAX=2 \
    HELPDESK_LISTEN=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///data/helpdesk.db \
    RUST_LOG=info
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["helpdesk"]
CMD ["serve"]
