// Seeds, aggregation and the run directory.
#include "train/experiment.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/log.h"
#include "train/trainer.h"

namespace gat::train {
namespace {

nlohmann::json to_json(const SeedResult& r) {
  return {{"seed", r.seed},         {"test", r.test},     {"val", r.val}, {"val_loss", r.val_loss},
          {"best_epoch", r.best_epoch}, {"epochs", r.epochs}, {"seconds", r.seconds}};
}

nlohmann::json to_json(const EpochRecord& r) {
  return {{"seed", r.seed}, {"epoch", r.epoch}, {"train_loss", r.train_loss}, {"val_loss", r.val_loss},
          {"val", r.val},   {"seconds", r.seconds}};
}

}  // namespace

nlohmann::json run_experiment(const config::Config& config, const data::GraphDataset& dataset,
                              dist::Communicator& comm) {
  const auto start = std::chrono::steady_clock::now();
  const bool writer = comm.rank() == 0;
  const std::filesystem::path dir = config.train.run_dir;
  std::ofstream metrics;
  if (writer) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Error(dir.string() + ": cannot create run directory: " + ec.message());
    write_text_atomically((dir / "config.yaml").string(), config::to_yaml(config));
    metrics.open(dir / "metrics.jsonl", std::ios::trunc);
    if (!metrics) throw Error((dir / "metrics.jsonl").string() + ": cannot write");
  }
  const char* metric = metric_name(dataset.task);
  Trainer trainer(config, dataset, comm);
  std::vector<SeedResult> runs;
  SeedResult best;
  for (int64_t k = 0; k < config.train.seeds; ++k) {
    const SeedResult r = trainer.fit(config.train.seed + k, [&](const EpochRecord& e) {
      if (!writer) return;
      metrics << to_json(e).dump() << '\n' << std::flush;
      log::info("seed {} epoch {:4d}  train_loss {:.4f}  val_loss {:.4f}  val_{} {:.4f}  {:.1f} ms", e.seed, e.epoch,
                e.train_loss, e.val_loss, metric, e.val, 1e3 * e.seconds);
    });
    log::info("seed {}: test_{} {:.4f} (val {:.4f}, best epoch {} of {}, {:.1f} s)", r.seed, metric, r.test, r.val,
              r.best_epoch, r.epochs, r.seconds);
    if (runs.empty() || r.val > best.val) {
      best = r;
      if (writer) {
        const std::string path = (dir / "best.pt").string();
        write_atomically(path, [&](const std::string& tmp) { torch::save(trainer.model(), tmp); });
      }
    }
    runs.push_back(r);
  }

  double test_mean = 0, val_mean = 0, test_var = 0;
  for (const auto& r : runs) test_mean += r.test / runs.size(), val_mean += r.val / runs.size();
  for (const auto& r : runs) test_var += (r.test - test_mean) * (r.test - test_mean) / runs.size();
  nlohmann::json seeds = nlohmann::json::array(), per_seed = nlohmann::json::array();
  for (const auto& r : runs) seeds.push_back(r.seed), per_seed.push_back(to_json(r));
  nlohmann::json results = {
      {"dataset", std::filesystem::path(config.data.path).stem().string()},
      {"task", data::to_string(dataset.task)},
      {"metric", metric},
      {"test", test_mean},
      {"val", val_mean},
      {"best_seed", best.seed},
      {"best_epoch", best.best_epoch},
      {"epochs", best.epochs},
      {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()},
      {"world_size", comm.size()},
      {"seeds", seeds},
      {"test_mean", test_mean},
      {"test_std", std::sqrt(test_var)},
      {"runs", per_seed},
      {"run_dir", dir.string()},
  };
  if (writer) write_text_atomically((dir / "results.json").string(), results.dump(2) + "\n");
  return results;
}

}  // namespace gat::train
