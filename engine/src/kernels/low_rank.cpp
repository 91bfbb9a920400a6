// Low-rank attention kernels: Linformer, Nystrom and Performer as variants.hpp defines them,
// computed through their small factors so that no (n, m) matrix is ever formed.
// Shapes per head: Q (n, d), K and V (m, d), out (n, d); k projected length, l landmarks,
// r random features; stacked by head (see kernels.hpp).
#include <cmath>
#include <string>

#include "attnscope/attention.hpp"
#include "attnscope/error.hpp"
#include "tiles.hpp"

namespace attnscope {

using namespace kernels;

namespace {

// Sums over long key runs are split into this many fixed chunks (partial sums reduced in
// chunk order), so results do not depend on the thread count.
constexpr int kChunks = 8;
constexpr int kFeatureRows = 128;  // performer: rows per block of random features

float logit_scale(const AttentionProblem& p) {
    return static_cast<float>(1.0 / (std::sqrt(static_cast<double>(p.d())) * p.temperature));
}

int ceil_div(int a, int b) { return (a + b - 1) / b; }

int chunks_for(int keys) { return std::clamp(keys / 256, 1, kChunks); }

// out rows (all heads) = softmax(c Q Kf_h^T) Vf_h for small per-head factors Kf, Vf (H*l, d):
// exact attention over l keys, so the same tiles as the dense kernel (one online-softmax pass).
void attend_factors(MatrixF& out, const AttentionProblem& p, const MatrixF& Kf, const MatrixF& Vf, float c) {
    const int H = p.heads, n = p.n(), d = p.d(), l = static_cast<int>(Kf.rows()) / H;
    const int tiles = ceil_div(n, kQueryTile);
#pragma omp parallel
    {
        TileScratch s(d);
#pragma omp for schedule(static)
        for (int task = 0; task < H * tiles; ++task) {
            const int h = task / tiles, i0 = task % tiles * kQueryTile, rows = std::min(kQueryTile, n - i0);
            const long long q0 = static_cast<long long>(h) * n + i0, f0 = static_cast<long long>(h) * l;
            s.load_queries(p.Q.middleRows(q0, rows), c);
            s.reset();
            attend_keys(s, Positions{nullptr, i0}, Kf.middleRows(f0, l), Vf.middleRows(f0, l), Positions{}, KeyMask{},
                        AllKeys{});
            s.finish(out.middleRows(q0, rows));
        }
    }
}

// C (rows, d) = A (rows, len) B (len, d), A with row stride ldA. In depth blocks, so that a block
// of B stays in cache while every row block of A passes over it.
void product(RowsF C, const float* A, long ldA, ConstRowsF B) {
    const int rows = static_cast<int>(C.rows()), d = static_cast<int>(C.cols()), len = static_cast<int>(B.rows());
    if (d % vector_lanes() != 0) {  // the micro-kernel wants whole vectors of columns
        C.noalias() = Eigen::Map<const MatrixF, 0, Eigen::OuterStride<>>(A, rows, len, Eigen::OuterStride<>(ldA)) * B;
        return;
    }
    constexpr int kDepth = 512;
    C.setZero();
    for (int k0 = 0; k0 < len; k0 += kDepth)
        tile_product(C.data(), C.outerStride(), A + k0, ldA, 1, B.data() + k0 * B.outerStride(), B.outerStride(), rows,
                     d, std::min(kDepth, len - k0), true);
}

}  // namespace

// --- Linformer ---

void linformer_attention(MatrixF& out, const AttentionProblem& p, const MatrixF& E, const MatrixF& F) {
    check_problem(p);
    const int H = p.heads, n = p.n(), m = p.m(), d = p.d();
    if (E.rows() != F.rows() || E.cols() != m || F.cols() != m || E.rows() % H != 0 || E.rows() == 0)
        throw Error("linformer E and F must both be (heads*k, m) = (" + std::to_string(H) + "*k, " + std::to_string(m) +
                    "): got " + std::to_string(E.rows()) + " x " + std::to_string(E.cols()) + " and " +
                    std::to_string(F.rows()) + " x " + std::to_string(F.cols()));
    const int k = static_cast<int>(E.rows()) / H, chunks = chunks_for(m);
    // Partial K' = E K and V' = F V over chunks of keys: (H * chunks) blocks of (k, d) each.
    MatrixF partK(static_cast<long long>(H) * chunks * k, d), partV(static_cast<long long>(H) * chunks * k, d);
#pragma omp parallel for schedule(dynamic, 1)
    for (int task = 0; task < H * chunks; ++task) {
        const int h = task / chunks, chunk = task % chunks;
        const int j0 = split_point(m, chunks, chunk), j1 = split_point(m, chunks, chunk + 1);
        const long long kh = static_cast<long long>(h) * m + j0, eh = static_cast<long long>(h) * k;
        product(partK.middleRows(static_cast<long long>(task) * k, k), &E(eh, j0), E.outerStride(),
                p.K.middleRows(kh, j1 - j0));
        product(partV.middleRows(static_cast<long long>(task) * k, k), &F(eh, j0), F.outerStride(),
                p.V.middleRows(kh, j1 - j0));
    }
    MatrixF projK = MatrixF::Zero(static_cast<long long>(H) * k, d), projV = projK;  // (H*k, d)
    for (int h = 0; h < H; ++h)
        for (int chunk = 0; chunk < chunks; ++chunk) {
            const long long at = (static_cast<long long>(h) * chunks + chunk) * k;
            projK.middleRows(static_cast<long long>(h) * k, k) += partK.middleRows(at, k);
            projV.middleRows(static_cast<long long>(h) * k, k) += partV.middleRows(at, k);
        }
    out.resize(static_cast<long long>(H) * n, d);
    attend_factors(out, p, projK, projV, logit_scale(p));
}

// --- Nystrom ---

void nystrom_attention(MatrixF& out, const AttentionProblem& p, int landmarks, int pinv_iterations) {
    check_problem(p);
    const int H = p.heads, n = p.n(), m = p.m(), d = p.d(), l = landmarks;
    if (pinv_iterations < 0)
        throw Error("nystrom pseudo-inverse iterations (" + std::to_string(pinv_iterations) + ") must be 0 or more");
    if (l < 1 || l > std::min(n, m))
        throw Error("nystrom needs 1 to min(n, m) = " + std::to_string(std::min(n, m)) + " landmarks, not " +
                    std::to_string(l) + ": choose another number of landmarks");
    const double c_double = 1.0 / (std::sqrt(static_cast<double>(d)) * p.temperature);
    const float c = static_cast<float>(c_double);
    // Landmarks: means of l contiguous segments of Q and K, summed in double. (H*l, d)
    Matrix Ql(static_cast<long long>(H) * l, d), Kl(static_cast<long long>(H) * l, d);
#pragma omp parallel for schedule(static)
    for (int task = 0; task < H * l; ++task) {
        const int h = task / l, s = task % l;
        for (int pass = 0; pass < 2; ++pass) {
            const MatrixF& X = pass == 0 ? p.Q : p.K;
            const int rows = pass == 0 ? n : m;
            const int i0 = split_point(rows, l, s), i1 = split_point(rows, l, s + 1);
            Eigen::RowVectorXd mean = Eigen::RowVectorXd::Zero(d);
            for (int i = i0; i < i1; ++i) mean += X.row(static_cast<long long>(h) * rows + i).cast<double>();
            (pass == 0 ? Ql : Kl).row(task) = mean / (i1 - i0);
        }
    }
    const MatrixF Qlf = Ql.cast<float>(), Klf = Kl.cast<float>();

    // softmax(c Q~ K^T) V, (H*l, d): the fused recurrence, split over chunks of keys for parallelism,
    // then the chunks' states merged in order.
    const int chunks = chunks_for(m), tiles = ceil_div(l, kQueryTile);
    const long long states = static_cast<long long>(H) * chunks * l;
    MatrixF part_acc(states, d);
    std::vector<float> part_max(states), part_sum(states);
#pragma omp parallel
    {
        TileScratch s(d);
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < H * chunks * tiles; ++task) {
            const int h = task / (chunks * tiles), chunk = task / tiles % chunks, t0 = task % tiles * kQueryTile;
            const int rows = std::min(kQueryTile, l - t0);
            const int j0 = split_point(m, chunks, chunk), j1 = split_point(m, chunks, chunk + 1);
            const long long at = (static_cast<long long>(h) * chunks + chunk) * l + t0,
                            kh = static_cast<long long>(h) * m;
            s.load_queries(Qlf.middleRows(static_cast<long long>(h) * l + t0, rows), c);
            s.reset();
            attend_keys(s, Positions{}, p.K.middleRows(kh + j0, j1 - j0), p.V.middleRows(kh + j0, j1 - j0),
                        Positions{nullptr, j0}, KeyMask{}, AllKeys{});
            s.store_state(part_max.data() + at, part_sum.data() + at, part_acc.middleRows(at, rows));
        }
    }

    // Per head: the (l, l) middle and its pseudo-inverse in double (O(l^3), as the traced
    // engine), applied to the merged softmax(c Q~ K^T) V: W = pinv(middle) (right V), (H*l, d).
    MatrixF W(static_cast<long long>(H) * l, d);
#pragma omp parallel for schedule(dynamic, 1)
    for (int h = 0; h < H; ++h) {
        const long long base = static_cast<long long>(h) * chunks * l;
        RowState st{part_max.data() + base, part_sum.data() + base, part_acc.middleRows(base, l)};
        for (int chunk = 1; chunk < chunks; ++chunk)
            merge(st, part_max.data() + base + chunk * l, part_sum.data() + base + chunk * l,
                  part_acc.middleRows(base + static_cast<long long>(chunk) * l, l));
        finish(st);
        const auto Qh = Ql.middleRows(static_cast<long long>(h) * l, l),
                   Kh = Kl.middleRows(static_cast<long long>(h) * l, l);
        const Matrix middle = softmax_rows(c_double * Qh * Kh.transpose());  // (l, l)
        W.middleRows(static_cast<long long>(h) * l, l) =
            (iterative_pinv(middle, pinv_iterations) * st.acc.cast<double>()).cast<float>();
    }

    out.resize(static_cast<long long>(H) * n, d);
    attend_factors(out, p, Klf, W, c);
}

// --- Performer ---

namespace {

// L (rows, r) = W xs - |xs|^2 / 2 with xs = x / (d^(1/4) sqrt(T)): phi(x) = exp(L) / sqrt(r).
// The 1 / sqrt(r) cancels in each row's normalization and is left out.
void feature_logits(Eigen::Ref<MatrixF> L, ConstRowsF X, ConstRowsF W, float scale) {
    L.noalias() = (scale * X) * W.transpose();
    for (int i = 0; i < L.rows(); ++i) L.row(i).array() -= 0.5f * scale * scale * X.row(i).squaredNorm();
}

}  // namespace

namespace {

// Performer's running sums over key chunks: per (head, chunk) KV = sum phi(k_j)^T v_j (r, d) and
// z = sum phi(k_j) (r), each chunk's phi shifted by its running max logit `top`.
struct PerformerSums {
    int r = 0, chunks = 0, span = 0;
    bool causal = false;
    float scale = 0;
    MatrixF KV;                   // (heads * chunks * r, d)
    MatrixF z;                    // (heads * chunks, r)
    std::vector<float> top;       // (heads * chunks)
    std::vector<float> head_top;  // (heads) the shift every chunk of a head ends with
};

bool padded_key(const AttentionProblem& p, int j) { return !p.mask.key_is_padding.empty() && p.mask.key_is_padding[j]; }

// Pass 1: the chunks' sums, rescaled as their running max grows, like an online softmax.
void performer_key_sums(PerformerSums& s, const AttentionProblem& p, const MatrixF& W) {
    const int H = p.heads, m = p.m(), r = s.r, chunks = s.chunks;
#pragma omp parallel
    {
        MatrixF L(kFeatureRows, r);
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < H * chunks; ++task) {
            const int h = task / chunks, chunk = task % chunks;
            const int j0 = std::min(m, split_point(s.span, chunks, chunk)),
                      j1 = std::min(m, split_point(s.span, chunks, chunk + 1));
            auto kv = s.KV.middleRows(static_cast<long long>(task) * r, r);
            kv.setZero();
            s.z.row(task).setZero();
            float& shift = s.top[task];
            for (int b0 = j0; b0 < j1; b0 += kFeatureRows) {
                const int rows = std::min(kFeatureRows, j1 - b0);
                const long long k0 = static_cast<long long>(h) * m + b0;
                auto Lb = L.topRows(rows);
                feature_logits(Lb, p.K.middleRows(k0, rows), W.middleRows(static_cast<long long>(h) * r, r), s.scale);
                float block_top = kNegInf;
                for (int i = 0; i < rows; ++i) {
                    if (padded_key(p, b0 + i)) Lb.row(i).setConstant(kNegInf);  // padded keys get phi = 0
                    block_top = std::max(block_top, Lb.row(i).maxCoeff());
                }
                if (block_top == kNegInf) continue;
                if (block_top > shift) {
                    if (shift != kNegInf) {
                        const float a = std::exp(shift - block_top);
                        kv *= a;
                        s.z.row(task) *= a;
                    }
                    shift = block_top;
                }
                for (int i = 0; i < rows; ++i) exp_shift_sum(&Lb(i, 0), r, shift);
                kv.noalias() += Lb.transpose() * p.V.middleRows(k0, rows);
                s.z.row(task) += Lb.colwise().sum();
            }
        }
    }
}

// One shift per head for every chunk; causal: the chunk sums become exclusive prefix sums,
// otherwise they are added into each head's first chunk.
void performer_combine(PerformerSums& s, int H) {
    const int r = s.r, chunks = s.chunks;
    s.head_top.assign(H, kNegInf);
    for (int h = 0; h < H; ++h) {
        for (int chunk = 0; chunk < chunks; ++chunk) s.head_top[h] = std::max(s.head_top[h], s.top[h * chunks + chunk]);
        for (int chunk = 0; chunk < chunks; ++chunk) {
            const int task = h * chunks + chunk;
            const float a = s.top[task] == kNegInf ? 0.0f : std::exp(s.top[task] - s.head_top[h]);
            s.KV.middleRows(static_cast<long long>(task) * r, r) *= a;
            s.z.row(task) *= a;
        }
        const long long base = static_cast<long long>(h) * chunks;
        if (s.causal) {
            MatrixF runKV = MatrixF::Zero(r, s.KV.cols()), chunkKV(r, s.KV.cols());
            Eigen::RowVectorXf runz = Eigen::RowVectorXf::Zero(r), chunkz(r);
            for (int chunk = 0; chunk < chunks; ++chunk) {
                auto kv = s.KV.middleRows((base + chunk) * r, r);
                chunkKV = kv, chunkz = s.z.row(base + chunk);
                kv = runKV, s.z.row(base + chunk) = runz;
                runKV += chunkKV, runz += chunkz;
            }
        } else {
            for (int chunk = 1; chunk < chunks; ++chunk) {
                s.KV.middleRows(base * r, r) += s.KV.middleRows((base + chunk) * r, r);
                s.z.row(base) += s.z.row(base + chunk);
            }
        }
    }
}

// Pass 2: phi(q_i) shifted by its row's max (cancels in num / den); out = num / den, 0 when no
// key is visible. Causal adds the diagonal block's lower triangle and carries the sums on.
void performer_queries(MatrixF& out, const PerformerSums& s, const AttentionProblem& p, const MatrixF& W) {
    const int H = p.heads, n = p.n(), m = p.m(), d = p.d(), r = s.r, chunks = s.chunks;
    const bool causal = s.causal;
    out.resize(static_cast<long long>(H) * n, d);
    const int tasks = causal ? H * chunks : H * ceil_div(n, kFeatureRows);
#pragma omp parallel
    {
        MatrixF LQ(kFeatureRows, r), LK(kFeatureRows, r), T(kFeatureRows, kFeatureRows), num(kFeatureRows, d);
        MatrixF runKV(r, d);
        Eigen::RowVectorXf runz(r);
        Eigen::VectorXf den(kFeatureRows);
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < tasks; ++task) {
            const int h = causal ? task / chunks : task / ceil_div(n, kFeatureRows);
            const long long part = causal ? task : static_cast<long long>(h) * chunks;
            const int i_begin =
                causal ? split_point(n, chunks, task % chunks) : task % ceil_div(n, kFeatureRows) * kFeatureRows;
            const int i_end = causal ? split_point(n, chunks, task % chunks + 1) : std::min(n, i_begin + kFeatureRows);
            const auto Wh = W.middleRows(static_cast<long long>(h) * r, r);
            runKV = s.KV.middleRows(part * r, r);
            runz = s.z.row(part);
            for (int i0 = i_begin; i0 < i_end; i0 += kFeatureRows) {
                const int rows = std::min(kFeatureRows, i_end - i0);
                const long long q0 = static_cast<long long>(h) * n + i0;
                auto Lq = LQ.topRows(rows);
                feature_logits(Lq, p.Q.middleRows(q0, rows), Wh, s.scale);
                for (int i = 0; i < rows; ++i) exp_shift_sum(&Lq(i, 0), r, Lq.row(i).maxCoeff());
                auto nm = num.topRows(rows);
                nm.noalias() = Lq * runKV;
                den.head(rows).noalias() = Lq * runz.transpose();
                const int keys = causal ? std::max(0, std::min(m, i0 + rows) - i0) : 0;  // the diagonal block
                if (keys > 0) {
                    const long long k0 = static_cast<long long>(h) * m + i0;
                    auto Lk = LK.topRows(keys);
                    feature_logits(Lk, p.K.middleRows(k0, keys), Wh, s.scale);
                    for (int j = 0; j < keys; ++j) {
                        if (padded_key(p, i0 + j)) Lk.row(j).setConstant(kNegInf);
                        exp_shift_sum(&Lk(j, 0), r, s.head_top[h]);
                    }
                    auto Tb = T.topLeftCorner(rows, keys);
                    Tb.noalias() = Lq * Lk.transpose();
                    for (int i = 0; i < rows; ++i)
                        for (int j = i + 1; j < keys; ++j) Tb(i, j) = 0.0f;  // keys after the query
                    nm.noalias() += Tb * p.V.middleRows(k0, keys);
                    den.head(rows) += Tb.rowwise().sum();
                    runKV.noalias() += Lk.transpose() * p.V.middleRows(k0, keys);
                    runz += Lk.colwise().sum();
                }
                for (int i = 0; i < rows; ++i) {
                    if (den(i) > 0)
                        out.row(q0 + i) = nm.row(i) / den(i);
                    else
                        out.row(q0 + i).setZero();
                }
            }
        }
    }
}

}  // namespace

void performer_attention(MatrixF& out, const AttentionProblem& p, const MatrixF& W) {
    check_problem(p);
    const int H = p.heads, n = p.n(), m = p.m(), d = p.d();
    if (W.cols() != d || W.rows() % H != 0 || W.rows() == 0)
        throw Error("performer features must be (heads*r, d_head) = (" + std::to_string(H) + "*r, " +
                    std::to_string(d) + "): got " + std::to_string(W.rows()) + " x " + std::to_string(W.cols()));
    PerformerSums s;
    s.r = static_cast<int>(W.rows()) / H;
    s.scale = static_cast<float>(1.0 / (std::pow(static_cast<double>(d), 0.25) * std::sqrt(p.temperature)));
    s.causal = p.mask.causal;
    // Causal: chunks of positions [0, n), each chunk's keys summed first, then each chunk's queries
    // scanned from the prefix of the chunks before it. Otherwise: chunks of keys, then all queries.
    s.span = s.causal ? n : m;
    s.chunks = std::max(1, chunks_for(s.span));
    const long long parts = static_cast<long long>(H) * s.chunks;
    s.KV.resize(parts * s.r, d);
    s.z.resize(parts, s.r);
    s.top.assign(parts, kNegInf);
    performer_key_sums(s, p, W);
    performer_combine(s, H);
    performer_queries(out, s, p, W);
}

std::size_t kernels::low_rank_scratch_bytes(const VariantParams& v, int heads, int n, int m, int d, int threads) {
    const std::size_t f = sizeof(float), H = heads;
    switch (v.kind) {
        case VariantKind::Linformer: {
            const std::size_t k = v.k, chunks = chunks_for(m);
            return f * (2 * H * chunks * k * d + 2 * H * k * d) + threads * TileScratch::bytes(d);
        }
        case VariantKind::Nystrom: {
            const std::size_t l = v.landmarks, chunks = chunks_for(m);
            return sizeof(double) * (2 * H * l * d + 6 * l * l + 2 * l * d) + f * (2 * H * l * d + H * l * d) +
                   f * H * chunks * l * (d + 2) + threads * TileScratch::bytes(d);
        }
        case VariantKind::Performer: {
            const std::size_t r = v.features, chunks = std::max(1, chunks_for(n));
            return f * H * chunks * (r * d + r + 1) +
                   threads * f *
                       (2 * kFeatureRows * r + kFeatureRows * kFeatureRows + kFeatureRows * (d + 1) + r * (d + 1));
        }
        default:
            return 0;
    }
}

}  // namespace attnscope
