// Sparse attention kernels: local, strided and BigBird as variants.hpp defines their patterns,
// run through the online-softmax tiles over only the keys each pattern keeps.
// Shapes per head: Q (n, d), K and V (m, d), out (n, d); stacked by head (see kernels.hpp).
#include <cmath>
#include <string>

#include "attnscope/error.hpp"
#include "attnscope/random.hpp"
#include "tiles.hpp"

namespace attnscope {

using namespace kernels;

namespace {

float logit_scale(const AttentionProblem& p) {
    return static_cast<float>(1.0 / (std::sqrt(static_cast<double>(p.d())) * p.temperature));
}

int ceil_div(int a, int b) { return (a + b - 1) / b; }

// Sorted, unique global positions below `limit`.
std::vector<int> globals_below(const std::vector<int>& tokens, int limit) {
    std::vector<int> g;
    for (int t : tokens)
        if (t >= 0 && t < limit) g.push_back(t);
    std::sort(g.begin(), g.end());
    g.erase(std::unique(g.begin(), g.end()), g.end());
    return g;
}

// Full rows for the query positions in `rows` (every key the mask allows), replacing what the
// pattern pass wrote: the global tokens of local and BigBird attend everywhere.
void attend_all_keys(MatrixF& out, const AttentionProblem& p, const std::vector<int>& rows) {
    if (rows.empty()) return;
    const int H = p.heads, n = p.n(), m = p.m(), d = p.d(), count = static_cast<int>(rows.size());
    const float c = logit_scale(p);
    const int tiles = ceil_div(count, kQueryTile);
#pragma omp parallel
    {
        TileScratch s(d);
        MatrixF q(kQueryTile, d), acc(kQueryTile, d);  // gathered queries, their output
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < H * tiles; ++task) {
            const int h = task / tiles, t0 = (task % tiles) * kQueryTile, t = std::min(kQueryTile, count - t0);
            const auto Qh = p.Q.middleRows(static_cast<long long>(h) * n, n);
            gather_rows(q, Qh, rows.data() + t0, t);
            s.load_queries(q.topRows(t), c);
            s.reset();
            attend_keys(s, Positions{rows.data() + t0}, p.K.middleRows(static_cast<long long>(h) * m, m),
                        p.V.middleRows(static_cast<long long>(h) * m, m), Positions{}, p.mask, AllKeys{});
            s.finish(acc.topRows(t));
            for (int k = 0; k < t; ++k) out.row(static_cast<long long>(h) * n + rows[t0 + k]) = acc.row(k);
        }
    }
}

// The keys [lo, hi] (positions, clipped to [0, m)) that are congruent to r mod step, as
// indices u with position r + u * step: [first, last] (empty when first > last).
std::pair<int, int> congruent_range(int lo, int hi, int r, int step, int m) {
    lo = std::max(lo, 0);
    hi = std::min(hi, m - 1);
    if (lo > hi) return {0, -1};
    const int first = lo <= r ? 0 : ceil_div(lo - r, step);
    const int last = hi < r ? -1 : (hi - r) / step;
    return {first, last};
}

}  // namespace

// --- local ---

void local_attention(MatrixF& out, const AttentionProblem& p, int window, int dilation,
                     const std::vector<int>& global_tokens) {
    check_problem(p);
    if (window < 0) throw Error("local window (" + std::to_string(window) + ") must be 0 or more");
    if (dilation < 1) throw Error("local dilation (" + std::to_string(dilation) + ") must be at least 1");
    const int H = p.heads, n = p.n(), m = p.m(), d = p.d(), step = dilation;
    if (static_cast<long long>(window) * step > 1'000'000'000) throw Error("local window x dilation is too large");
    const int half = window * step;  // the band's half width in positions
    const float c = logit_scale(p);
    const std::vector<int> global_keys = globals_below(global_tokens, m);
    const int G = static_cast<int>(global_keys.size());
    MatrixF KG(static_cast<long long>(H) * G, d), VG(static_cast<long long>(H) * G, d);  // (H*G, d)
    for (int h = 0; h < H; ++h) {
        gather_rows(KG.middleRows(static_cast<long long>(h) * G, G), p.K.middleRows(static_cast<long long>(h) * m, m),
                    global_keys.data(), G);
        gather_rows(VG.middleRows(static_cast<long long>(h) * G, G), p.V.middleRows(static_cast<long long>(h) * m, m),
                    global_keys.data(), G);
    }
    // A global key inside the band is already counted there.
    const auto outside_band =
        predicate([half, step](int i, int j) { return std::abs(i - j) > half || (i - j) % step != 0; });

    // Query i sees band keys congruent to i mod step: tasks are (head, residue, tile of that residue's rows).
    const int class_rows = ceil_div(n, step), tiles = ceil_div(class_rows, kQueryTile);
    const int band_keys = static_cast<int>(std::min<long long>(m, 2LL * window + kQueryTile));  // one tile's keys
    out.resize(static_cast<long long>(H) * n, d);
#pragma omp parallel
    {
        TileScratch s(d);
        // Only when step > 1: the tile's queries, band keys and values gathered, and its output.
        MatrixF q, kb, vb, acc;
        std::vector<int> qpos, kpos;
        if (step > 1) {
            q.resize(kQueryTile, d), acc.resize(kQueryTile, d), kb.resize(band_keys, d), vb.resize(band_keys, d);
            qpos.resize(kQueryTile), kpos.resize(band_keys);
        }
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < H * step * tiles; ++task) {
            const int h = task / (step * tiles), r = task / tiles % step, t0 = task % tiles * kQueryTile;
            const int rows = std::min(kQueryTile, ceil_div(n - r, step) - t0);  // rows r + step (t0 + k)
            if (rows <= 0) continue;
            const long long qh = static_cast<long long>(h) * n, kh = static_cast<long long>(h) * m;
            const int first = r + step * t0, last = r + step * (t0 + rows - 1);  // query positions
            const auto [u0, u1] = congruent_range(first - half, last + half, r, step, m);
            const int keys = std::max(0, u1 - u0 + 1);
            const auto Kh = p.K.middleRows(kh, m), Vh = p.V.middleRows(kh, m);
            if (step == 1) {
                s.load_queries(p.Q.middleRows(qh + first, rows), c);
                s.reset();
                attend_keys(s, Positions{nullptr, first}, Kh.middleRows(u0, keys), Vh.middleRows(u0, keys),
                            Positions{nullptr, u0}, p.mask, Band{half});
                if (G > 0)
                    attend_keys(s, Positions{nullptr, first}, KG.middleRows(h * G, G), VG.middleRows(h * G, G),
                                Positions{global_keys.data()}, p.mask, outside_band);
                s.finish(out.middleRows(qh + first, rows));
                continue;
            }
            for (int k = 0; k < rows; ++k) qpos[k] = first + step * k;
            for (int k = 0; k < keys; ++k) kpos[k] = r + step * (u0 + k);
            gather_rows(q, p.Q.middleRows(qh, n), qpos.data(), rows);
            gather_rows(kb, Kh, kpos.data(), keys);
            gather_rows(vb, Vh, kpos.data(), keys);
            s.load_queries(q.topRows(rows), c);
            s.reset();
            attend_keys(s, Positions{qpos.data()}, kb.topRows(keys), vb.topRows(keys), Positions{kpos.data()}, p.mask,
                        Band{half});
            if (G > 0)
                attend_keys(s, Positions{qpos.data()}, KG.middleRows(h * G, G), VG.middleRows(h * G, G),
                            Positions{global_keys.data()}, p.mask, outside_band);
            s.finish(acc.topRows(rows));
            for (int k = 0; k < rows; ++k) out.row(qh + qpos[k]) = acc.row(k);
        }
    }
    attend_all_keys(out, p, globals_below(global_tokens, n));
}

// --- strided ---

void strided_attention(MatrixF& out, const AttentionProblem& p, int stride) {
    check_problem(p);
    if (stride < 1) throw Error("strided stride (" + std::to_string(stride) + ") must be at least 1");
    const int H = p.heads, n = p.n(), m = p.m(), d = p.d(), s = stride;
    const float c = logit_scale(p);
    out.resize(static_cast<long long>(H) * n, d);
    // Each row's running max and sum between the two passes; its accumulator lives in `out`.
    std::vector<float> row_max(static_cast<size_t>(H) * n), row_sum(static_cast<size_t>(H) * n);

    // Pass 1, the strided keys: query i sees keys j = i mod s except j = i (the band has it).
    // Queries and keys of one residue class form a small dense problem.
    const int class_rows = ceil_div(n, s), class_keys = ceil_div(m, s), tiles = ceil_div(class_rows, kQueryTile);
#pragma omp parallel
    {
        TileScratch sc(d);
        MatrixF q(kQueryTile, d), kr(class_keys, d), vr(class_keys, d), acc(kQueryTile, d);
        std::vector<int> qpos(kQueryTile), kpos(class_keys);
        std::vector<float> tile_max(kQueryTile), tile_sum(kQueryTile);
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < H * s * tiles; ++task) {
            const int h = task / (s * tiles), r = task / tiles % s, t0 = task % tiles * kQueryTile;
            const int rows = std::min(kQueryTile, ceil_div(n - r, s) - t0);
            if (rows <= 0) continue;
            const long long qh = static_cast<long long>(h) * n, kh = static_cast<long long>(h) * m;
            const int keys = r < m ? ceil_div(m - r, s) : 0;
            for (int k = 0; k < rows; ++k) qpos[k] = r + s * (t0 + k);
            for (int k = 0; k < keys; ++k) kpos[k] = r + s * k;
            gather_rows(q, p.Q.middleRows(qh, n), qpos.data(), rows);
            gather_rows(kr, p.K.middleRows(kh, m), kpos.data(), keys);
            gather_rows(vr, p.V.middleRows(kh, m), kpos.data(), keys);
            sc.load_queries(q.topRows(rows), c);
            sc.reset();
            attend_keys(sc, Positions{qpos.data()}, kr.topRows(keys), vr.topRows(keys), Positions{kpos.data()}, p.mask,
                        NotSelf{});
            sc.store_state(tile_max.data(), tile_sum.data(), acc.topRows(rows));
            for (int k = 0; k < rows; ++k) {
                out.row(qh + qpos[k]) = acc.row(k);
                row_max[qh + qpos[k]] = tile_max[k];
                row_sum[qh + qpos[k]] = tile_sum[k];
            }
        }
    }

    // Pass 2, the band |i - j| < s, continuing each row's state, then normalizing.
    const int query_tiles = ceil_div(n, kQueryTile);
#pragma omp parallel
    {
        TileScratch sc(d);
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < H * query_tiles; ++task) {
            const int h = task / query_tiles, i0 = task % query_tiles * kQueryTile, rows = std::min(kQueryTile, n - i0);
            const long long q0 = static_cast<long long>(h) * n + i0, kh = static_cast<long long>(h) * m;
            const int j0 = std::clamp(i0 - (s - 1), 0, m), j1 = std::clamp(i0 + rows - 1 + s, 0, m);  // [j0, j1)
            sc.load_queries(p.Q.middleRows(q0, rows), c);
            sc.load_state(row_max.data() + q0, row_sum.data() + q0, out.middleRows(q0, rows));
            attend_keys(sc, Positions{nullptr, i0}, p.K.middleRows(kh + j0, j1 - j0), p.V.middleRows(kh + j0, j1 - j0),
                        Positions{nullptr, j0}, p.mask, Band{s - 1});
            sc.finish(out.middleRows(q0, rows));
        }
    }
}

// --- BigBird ---

std::vector<std::vector<int>> kernels::bigbird_random_blocks(int query_blocks, int key_blocks, int window,
                                                             int random_blocks, std::uint64_t seed) {
    std::vector<std::vector<int>> picked(query_blocks);
    Rng rng(hash64("bigbird", seed));
    for (int qb = 0; qb < query_blocks; ++qb) {
        const int lo = std::max(0, qb - window), hi = std::min(key_blocks - 1, qb + window);
        const int window_blocks = std::max(0, hi - lo + 1);
        std::vector<int>& mine = picked[qb];  // sorted
        for (int r = 0; r < random_blocks; ++r) {
            const std::size_t others = static_cast<std::size_t>(key_blocks - window_blocks) - mine.size();
            if (others == 0) break;
            // bigbird_pattern() lists the blocks outside the window not yet taken, in order, and
            // takes entry `pick`; walk past the taken ones instead of listing them.
            int block = static_cast<int>(static_cast<std::size_t>(rng.uniform() * static_cast<double>(others)));
            std::vector<std::pair<int, int>> taken;  // sorted, disjoint [first, last]
            if (window_blocks > 0) taken.emplace_back(lo, hi);
            for (int b : mine) taken.emplace_back(b, b);
            std::sort(taken.begin(), taken.end());
            for (const auto& [first, last] : taken)
                if (first <= block) block += last - first + 1;
            mine.insert(std::upper_bound(mine.begin(), mine.end(), block), block);
        }
    }
    return picked;
}

void bigbird_attention(MatrixF& out, const AttentionProblem& p, int block, int window, int globals, int random_blocks,
                       std::uint64_t seed) {
    check_problem(p);
    if (block < 1) throw Error("bigbird block (" + std::to_string(block) + ") must be at least 1");
    if (window < 0 || globals < 0 || random_blocks < 0)
        throw Error("bigbird window, globals and random blocks must be 0 or more");
    const int H = p.heads, n = p.n(), m = p.m(), d = p.d();
    const float c = logit_scale(p);
    const int query_blocks = ceil_div(n, block), key_blocks = ceil_div(m, block);
    std::vector<std::vector<std::vector<int>>> random(H);  // [head][query block] -> key blocks
    for (int h = 0; h < H; ++h)
        random[h] = bigbird_random_blocks(query_blocks, key_blocks, window, random_blocks, head_seed(h, seed));
    const int global_keys = std::min(globals, m);
    const int sub_tiles = ceil_div(block, kQueryTile);  // query tiles per block
    out.resize(static_cast<long long>(H) * n, d);
#pragma omp parallel
    {
        TileScratch s(d);
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < H * query_blocks * sub_tiles; ++task) {
            const int h = task / (query_blocks * sub_tiles), qb = task / sub_tiles % query_blocks;
            const int i0 = qb * block + task % sub_tiles * kQueryTile;
            const int rows = std::min({kQueryTile, n - i0, (qb + 1) * block - i0});
            if (rows <= 0) continue;
            const long long q0 = static_cast<long long>(h) * n + i0, kh = static_cast<long long>(h) * m;
            const auto Kh = p.K.middleRows(kh, m), Vh = p.V.middleRows(kh, m);
            s.load_queries(p.Q.middleRows(q0, rows), c);
            s.reset();
            const Positions qpos{nullptr, i0};
            const int lo = std::max(0, qb - window), hi = std::min(key_blocks - 1, qb + window);
            if (lo <= hi) {  // the window's blocks are one run of keys
                const int j0 = lo * block, j1 = std::min(m, (hi + 1) * block);
                attend_keys(s, qpos, Kh.middleRows(j0, j1 - j0), Vh.middleRows(j0, j1 - j0), Positions{nullptr, j0},
                            p.mask, AllKeys{});
            }
            const std::vector<int>& mine = random[h][qb];
            for (int kb : mine) {
                const int j0 = kb * block, j1 = std::min(m, j0 + block);
                attend_keys(s, qpos, Kh.middleRows(j0, j1 - j0), Vh.middleRows(j0, j1 - j0), Positions{nullptr, j0},
                            p.mask, AllKeys{});
            }
            if (global_keys > 0) {  // keys j < globals in blocks not already attended
                const auto elsewhere = predicate([&](int, int j) {
                    const int kb = j / block;
                    return (kb < lo || kb > hi) && !std::binary_search(mine.begin(), mine.end(), kb);
                });
                attend_keys(s, qpos, Kh.topRows(global_keys), Vh.topRows(global_keys), Positions{}, p.mask, elsewhere);
            }
            s.finish(out.middleRows(q0, rows));
        }
    }
    std::vector<int> global_rows(std::min(globals, n));
    for (int i = 0; i < static_cast<int>(global_rows.size()); ++i) global_rows[i] = i;
    attend_all_keys(out, p, global_rows);
}

// --- kept pairs and scratch ---

namespace {

// Keys j in [lo, hi] (clipped to [0, m), and to j <= i when causal) congruent to i mod step.
long long count_congruent(int lo, int hi, int i, int step, int m, bool causal) {
    if (causal) hi = std::min(hi, i);
    const int r = ((i % step) + step) % step;
    const auto [u0, u1] = congruent_range(lo, hi, r, step, m);
    return std::max(0, u1 - u0 + 1);
}

}  // namespace

long long kernels::sparse_kept_pairs(const VariantParams& v, int heads, int n, int m, bool causal, std::uint64_t seed) {
    auto visible = [&](int i) -> long long { return causal ? std::clamp(i + 1, 0, m) : m; };
    long long total = 0;
    switch (v.kind) {
        case VariantKind::Local: {
            const int half = v.window * v.dilation;
            const std::vector<int> gk = globals_below(v.global_tokens, m), gq = globals_below(v.global_tokens, n);
            for (int i = 0; i < n; ++i) {
                if (std::binary_search(gq.begin(), gq.end(), i)) {
                    total += visible(i);
                    continue;
                }
                total += count_congruent(i - half, i + half, i, v.dilation, m, causal);
                for (int j : gk)
                    if ((std::abs(i - j) > half || (i - j) % v.dilation != 0) && !(causal && j > i)) ++total;
            }
            return total * heads;
        }
        case VariantKind::Strided:
            for (int i = 0; i < n; ++i)
                total += count_congruent(i - (v.stride - 1), i + v.stride - 1, i, 1, m, causal) +
                         count_congruent(0, m - 1, i, v.stride, m, causal) - (i < m ? 1 : 0);
            return total * heads;
        case VariantKind::BigBird: {
            const int b = v.block, query_blocks = ceil_div(n, b), key_blocks = ceil_div(m, b);
            for (int h = 0; h < heads; ++h) {
                const auto random =
                    bigbird_random_blocks(query_blocks, key_blocks, v.window, v.random_blocks, head_seed(h, seed));
                for (int i = 0; i < n; ++i) {
                    if (i < v.globals) {
                        total += visible(i);
                        continue;
                    }
                    const int qb = i / b, lo = std::max(0, qb - v.window), hi = std::min(key_blocks - 1, qb + v.window);
                    auto keys_in = [&](int j0, int j1) {  // [j0, j1) clipped
                        j1 = std::min(j1, causal ? std::min(i + 1, m) : m);
                        return std::max(0, j1 - j0);
                    };
                    if (lo <= hi) total += keys_in(lo * b, (hi + 1) * b);
                    for (int kb : random[qb]) total += keys_in(kb * b, (kb + 1) * b);
                    for (int j = 0; j < std::min(v.globals, m); ++j) {
                        const int kb = j / b;
                        if ((kb < lo || kb > hi) && !std::binary_search(random[qb].begin(), random[qb].end(), kb) &&
                            !(causal && j > i))
                            ++total;
                    }
                }
            }
            return total;
        }
        default:
            for (int i = 0; i < n; ++i) total += visible(i);
            return total * heads;
    }
}

std::size_t kernels::sparse_scratch_bytes(const VariantParams& v, int heads, int n, int m, int d, int threads) {
    const std::size_t f = sizeof(float), tile = TileScratch::bytes(d);
    switch (v.kind) {
        case VariantKind::Local: {
            const std::size_t G = globals_below(v.global_tokens, m).size();
            const std::size_t band = v.dilation > 1 ? std::min<long long>(m, 2LL * v.window + kQueryTile) : 0;
            const std::size_t gathered =
                v.dilation > 1 ? f * (2 * kQueryTile * d + 2 * band * d) + sizeof(int) * (kQueryTile + band) : 0;
            return threads * (tile + gathered) + f * 2 * heads * G * d + threads * f * 2 * kQueryTile * d;
        }
        case VariantKind::Strided: {
            const std::size_t keys = ceil_div(m, v.stride);
            return threads * (tile + f * (2 * kQueryTile * d + 2 * keys * d) + sizeof(int) * (kQueryTile + keys)) +
                   f * 2 * static_cast<std::size_t>(heads) * n;
        }
        case VariantKind::BigBird:
            return threads * (tile + f * 2 * kQueryTile * d) +
                   sizeof(int) * static_cast<std::size_t>(heads) * ceil_div(n, v.block) * (v.random_blocks + 6);
        default:
            return threads * tile;
    }
}

}  // namespace attnscope
