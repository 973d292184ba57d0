// Config: defaults, YAML mapping, overrides, and the exact error for each kind of bad input.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <set>

#include "config/config.h"
#include "support/error_of.h"
#include "support/graph_file.h"

using gat::config::Config;
using gat::config::parse_config;

namespace {

std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  return gat::testing::error_of([&] { parse_config(yaml, "x.yaml", overrides); });
}

std::string load_error(const std::string& path) {
  return gat::testing::error_of([&] { gat::config::load_config(path); });
}

const char* kMinimal = "data: {path: d.h5}\n";

}  // namespace

TEST(Config, DefaultsAreThePaperCoraModel) {
  const Config c = parse_config(kMinimal, "x.yaml");
  EXPECT_EQ(c.data.path, "d.h5");
  EXPECT_EQ(c.model.hidden, std::vector<int64_t>({8}));
  EXPECT_EQ(c.model.heads, std::vector<int64_t>({8, 1}));
  EXPECT_DOUBLE_EQ(c.model.dropout, 0.6);
  EXPECT_DOUBLE_EQ(c.model.negative_slope, 0.2);
  EXPECT_DOUBLE_EQ(c.train.lr, 0.005);
  EXPECT_DOUBLE_EQ(c.train.weight_decay, 5e-4);
  EXPECT_EQ(c.train.patience, 100);
}

TEST(Config, ReadsEveryKind) {
  const Config c = parse_config(
      "data: {path: a.h5, normalize_features: true}\n"
      "model: {hidden: [4, 4], heads: [2, 2, 6], residual: yes, attention: dense, input_dropout: 0}\n"
      "train: {lr: 1e-2, seeds: 3, run_dir: out}\n",
      "x.yaml");
  EXPECT_TRUE(c.data.normalize_features);
  EXPECT_FALSE(c.data.ignore_edges);
  EXPECT_EQ(c.model.heads, std::vector<int64_t>({2, 2, 6}));
  EXPECT_TRUE(c.model.residual);
  EXPECT_EQ(c.model.attention, gat::AttentionImpl::kDense);
  EXPECT_DOUBLE_EQ(c.model.input_dropout, 0.0);
  EXPECT_DOUBLE_EQ(c.train.lr, 0.01);
  EXPECT_EQ(c.train.seeds, 3);
  EXPECT_EQ(c.train.run_dir, "out");
}

TEST(Config, OverridesReplaceValuesAndCreateSections) {
  const Config c =
      parse_config(kMinimal, "x.yaml", {"train.lr=0.01", "model.heads=[8,1]", "model.hidden=[8]", "train.seeds=10"});
  EXPECT_DOUBLE_EQ(c.train.lr, 0.01);
  EXPECT_EQ(c.train.seeds, 10);
  EXPECT_EQ(c.model.heads, std::vector<int64_t>({8, 1}));
}

TEST(Config, YamlRoundTripIsExact) {
  const Config c = parse_config(kMinimal, "x.yaml", {"train.lr=0.0123456789", "model.heads=[3,1]"});
  const std::string yaml = gat::config::to_yaml(c);
  const Config back = parse_config(yaml, "resolved.yaml");
  EXPECT_EQ(gat::config::to_yaml(back), yaml);
  EXPECT_DOUBLE_EQ(back.train.lr, 0.0123456789);
}

namespace {

// Each choice key with its names, in the order its error message lists them.
struct Choice {
  std::string section, key;
  std::vector<std::string> names;
};
const std::vector<Choice> kChoices = {
    {"model", "attention", {"fused", "sparse", "dense"}}, {"model", "norm", {"none", "layer"}},
    {"train", "device", {"cpu", "cuda", "auto"}},         {"train", "precision", {"fp32", "tf32", "bf16"}},
    {"train", "on_nonfinite", {"stop", "skip"}},          {"train", "resume", {"off", "auto", "required"}},
    {"dist", "backend", {"auto", "mpi", "nccl"}}};

}  // namespace

TEST(Config, ChoicesRoundTripByName) {
  for (const Choice& choice : kChoices) {
    std::set<std::string> written;
    for (const std::string& name : choice.names) {
      const Config c = parse_config(kMinimal, "x.yaml", {choice.section + "." + choice.key + "=" + name});
      const std::string yaml = gat::config::to_yaml(c);
      EXPECT_NE(yaml.find("\n  " + choice.key + ": \"" + name + "\"\n"), std::string::npos) << yaml;
      EXPECT_EQ(gat::config::to_yaml(parse_config(yaml, "resolved.yaml")), yaml);
      written.insert(yaml);
    }
    EXPECT_EQ(written.size(), choice.names.size()) << choice.key << ": two names decode to one value";
  }
}

TEST(Config, UnknownChoicesListTheNames) {
  for (const Choice& choice : kChoices) {
    const std::string key = choice.section + "." + choice.key;
    std::string names;
    for (const std::string& name : choice.names) names += (names.empty() ? "" : ", ") + name;
    EXPECT_EQ(error_of(kMinimal, {key + "=Fused"}),
              "x.yaml: " + key + ": expected one of " + names + ", got \"Fused\"");
    EXPECT_EQ(error_of(kMinimal, {key + "=[cpu]"}), "x.yaml: " + key + ": expected a string, got a list");
  }
}

TEST(Config, UnknownKeysAreRejectedWithTheirPath) {
  EXPECT_EQ(error_of("data: {path: d.h5}\ntrain: {lrr: 1}\n"),
            "x.yaml: train.lrr: unknown key (expected one of batch_graphs, checkpoint_every, device, early_stopping, "
            "epochs, lr, "
            "on_nonfinite, patience, precision, resume, run_dir, seed, "
            "seeds, threads, weight_decay)");
  EXPECT_EQ(error_of("data: {path: d.h5}\noptim: {}\n"),
            "x.yaml: optim: unknown key (expected one of data, dist, model, train)");
  EXPECT_EQ(error_of(kMinimal, {"model.head=[1]"}).rfind("x.yaml: model.head: unknown key", 0), 0u);
}

TEST(Config, WrongTypesNameKeyAndExpectedType) {
  EXPECT_EQ(error_of("data: {path: d.h5}\ntrain: {lr: fast}\n"), "x.yaml: train.lr: expected a number, got \"fast\"");
  EXPECT_EQ(error_of("data: {path: d.h5}\ntrain: {epochs: 1.5}\n"),
            "x.yaml: train.epochs: expected an integer, got \"1.5\"");
  EXPECT_EQ(error_of("data: {path: d.h5}\nmodel: {heads: 8}\n"),
            "x.yaml: model.heads: expected a list of integers, got \"8\"");
  EXPECT_EQ(error_of("data: {path: d.h5}\nmodel: {heads: [8, x]}\n"),
            "x.yaml: model.heads[1]: expected an integer, got \"x\"");
  EXPECT_EQ(error_of("data: {path: d.h5}\nmodel: {residual: maybe}\n"),
            "x.yaml: model.residual: expected true or false, got \"maybe\"");
  EXPECT_EQ(error_of("data: [1]\n"), "x.yaml: data: expected a mapping, got a list");
  EXPECT_EQ(error_of("data: {path: [a]}\n"), "x.yaml: data.path: expected a string, got a list");
  EXPECT_EQ(error_of(kMinimal, {"train.lr=abc"}), "x.yaml: train.lr: expected a number, got \"abc\"");
}

TEST(Config, OutOfRangeValues) {
  EXPECT_EQ(error_of("data: {path: d.h5}\ntrain: {lr: -1}\n"), "x.yaml: train.lr: expected a number > 0, got -1");
  EXPECT_EQ(error_of("data: {path: d.h5}\nmodel: {dropout: 1}\n"),
            "x.yaml: model.dropout: expected a number in [0, 1), got 1");
  EXPECT_EQ(error_of("data: {path: d.h5}\nmodel: {heads: [8, 1, 1]}\n"),
            "x.yaml: model.heads: expected one entry per hidden layer plus one for the output layer (2 entries), "
            "got [8, 1, 1]");
  EXPECT_EQ(error_of("data: {path: d.h5}\nmodel: {hidden: [0]}\n"),
            "x.yaml: model.hidden[0]: expected an integer > 0, got 0");
  EXPECT_EQ(error_of("data: {path: d.h5}\nmodel: {attention: fused2}\n"),
            "x.yaml: model.attention: expected one of fused, sparse, dense, got \"fused2\"");
  EXPECT_EQ(error_of("data: {path: d.h5}\ntrain: {seeds: 0}\n"), "x.yaml: train.seeds: expected an integer > 0, got 0");
  EXPECT_EQ(error_of("data: {path: d.h5}\nmodel: {projected_dropout: -0.1}\n"),
            "x.yaml: model.projected_dropout: expected a number in [0, 1), got -0.1");
  EXPECT_EQ(error_of("data: {path: d.h5}\ntrain: {early_stopping: loss}\n"),
            "x.yaml: train.early_stopping: expected one of loss_and_metric, metric, got \"loss\"");
  auto ones = [](int count) {
    std::string list = "[1";
    for (int i = 1; i < count; ++i) list += ", 1";
    return list + "]";
  };
  EXPECT_EQ(error_of("data: {path: d.h5}\nmodel: {hidden: " + ones(64) + ", heads: " + ones(65) + "}\n"),
            "x.yaml: model.heads: expected at most 64 layers, got 65 entries");
  EXPECT_EQ(error_of("data: {path: d.h5}\ntrain: {lr: 0.1, lr: 0.2}\n"), "x.yaml:2:18: train.lr: duplicate key");
  EXPECT_EQ(error_of("data: {path: d.h5}\ndata: {path: e.h5}\n"), "x.yaml:2:1: data: duplicate key");
  EXPECT_EQ(error_of("data: {path: d.h5}\ntrain: {on_nonfinite: ignore}\n"),
            "x.yaml: train.on_nonfinite: expected one of stop, skip, got \"ignore\"");
  EXPECT_EQ(error_of("train: {lr: 0.1}\n"),
            "x.yaml: data.path: expected the path of a gat-graphs HDF5 file, got nothing");
}

TEST(Config, SyntaxErrorsGiveLineAndColumn) {
  EXPECT_EQ(error_of("data: {path: d.h5\n").rfind("x.yaml:2:1: YAML syntax error: ", 0), 0u)
      << error_of("data: {path: d.h5\n");
  EXPECT_EQ(error_of("- 1\n- 2\n"), "x.yaml: expected a mapping of sections (data, model, train, dist), got a list");
  EXPECT_EQ(error_of(kMinimal, {"train.lr"}), "--set train.lr: expected KEY=VALUE, e.g. train.lr=0.01");
}

TEST(Config, KeysMustBeNames) {  // found by fuzzing: yaml-cpp's own exception escaped
  EXPECT_EQ(error_of("{file}: 1\ndata: {path: d.h5}\n"),
            "x.yaml:1:1: top level: expected key names, got a mapping as a key");
  EXPECT_EQ(error_of("data: {path: d.h5, [a]: 1}\n"), "x.yaml:1:20: data: expected key names, got a list as a key");
}

TEST(Config, MissingFile) {
  EXPECT_EQ(load_error("/nonexistent/c.yaml"), "/nonexistent/c.yaml: cannot read config file");
}

TEST(Config, ErrorsAreOneLine) {
  for (const auto& yaml : {"data: {path: d.h5\n", "data: {path: d.h5}\ntrain: {lrr: 1}\n", "x: [\n"})
    EXPECT_EQ(error_of(yaml).find('\n'), std::string::npos) << error_of(yaml);
  // Quoted input keeps its line breaks and control characters only as escapes (found by fuzzing).
  EXPECT_EQ(error_of(kMinimal, {"train.lr\n\x01"
                                "data"}),
            "--set train.lr\\n\\x01data: expected KEY=VALUE, e.g. train.lr=0.01");
  EXPECT_EQ(error_of("data: {path: d.h5}\nmodel: {attention: \"a\\nb\"}\n"),
            "x.yaml: model.attention: expected one of fused, sparse, dense, got \"a\\nb\"");
}

// Issue 19, cases 6 and 9: values bounded by the types they become, seeds, documents, --set merges.

TEST(Config, NumbersThatBecomeNarrowerTypesAreBounded) {
  EXPECT_EQ(error_of("data: {path: d.h5}\ntrain: {lr: 1e38}\n"),
            "x.yaml: train.lr: expected at most 1e+37 (Adam's first step, 10 x lr, is a float32), got 1e+38");
  EXPECT_EQ(parse_config("data: {path: d.h5}\ntrain: {lr: 1e30}\n", "x.yaml").train.lr, 1e30);  // diverges, exit 3
  EXPECT_EQ(parse_config("data: {path: d.h5}\ntrain: {lr: 1e37}\n", "x.yaml").train.lr, 1e37);
  EXPECT_EQ(error_of("data: {path: d.h5}\ntrain: {weight_decay: 1e39}\n"),
            "x.yaml: train.weight_decay: expected at most 1e+38 (Adam applies it as a float32), got 1e+39");
  EXPECT_EQ(error_of("data: {path: d.h5}\ndist: {bucket_mb: 1e13}\n"),
            "x.yaml: dist.bucket_mb: expected at most 1e+12 (the size in bytes is an int64), got 1e+13");
  EXPECT_EQ(error_of("data: {path: d.h5}\ndist: {timeout_s: 1e10}\n"),
            "x.yaml: dist.timeout_s: expected at most 1e+09 seconds (0 = no limit), got 1e+10");
}

TEST(Config, SeedsStayExactInFloat64) {
  EXPECT_EQ(error_of("data: {path: d.h5}\ntrain: {seed: 9223372036854775807, seeds: 2}\n"),
            "x.yaml: train.seed: expected an integer in [0, 9007199254740991] (the last seed, train.seed + "
            "train.seeds - 1, must be at most 2^53: seeds travel as float64), got 9223372036854775807");
  EXPECT_EQ(error_of("data: {path: d.h5}\ntrain: {seeds: 9007199254740993}\n"),
            "x.yaml: train.seeds: expected an integer <= 2^53 = 9007199254740992, got 9007199254740993");
  const Config last = parse_config("data: {path: d.h5}\ntrain: {seed: 9007199254740990, seeds: 3}\n", "x.yaml");
  EXPECT_EQ(last.train.seed + last.train.seeds - 1, int64_t{1} << 53);
}

TEST(Config, ASecondDocumentIsRefusedWhereItStarts) {
  EXPECT_EQ(error_of("data: {path: d.h5}\n---\ntrain: {lr: 0.1}\n"),
            "x.yaml:2:1: a second YAML document starts here; expected one document (one mapping of sections)");
  EXPECT_EQ(error_of("---\ndata: {path: d.h5}\n...\n# the end\n---\n\n\ntrain: {lr: 0.1}\n"),
            "x.yaml:5:1: a second YAML document starts here; expected one document (one mapping of sections)");
  EXPECT_EQ(parse_config("---\ndata: {path: d.h5}\n...\n", "x.yaml").data.path, "d.h5");  // one, with markers
  EXPECT_EQ(error_of("data: {path: d.h5}\n...\ntrain: {lr: 0.1}\n"),
            "x.yaml:3:1: YAML syntax error: content after the end of the document");
  // Found by fuzzing: YAML::LoadAll never returns on a stray token, which YAML::Load ignored.
  EXPECT_EQ(error_of(", a\ndata: {path: d.h5}\n"),
            "x.yaml:1:1: YAML syntax error: content after the end of the document");
}

TEST(Config, SetWithAMappingMergesKeyByKey) {
  const Config c = parse_config("data: {path: d.h5}\ntrain: {lr: 0.1, seeds: 3}\n", "x.yaml",
                                {"train.patience=7", "train={epochs: 2, lr: 0.2}"});
  EXPECT_EQ(c.train.epochs, 2);
  EXPECT_DOUBLE_EQ(c.train.lr, 0.2);
  EXPECT_EQ(c.train.seeds, 3);                                                         // from the file
  EXPECT_EQ(c.train.patience, 7);                                                      // from the earlier --set
  EXPECT_EQ(parse_config(kMinimal, "x.yaml", {"train={epochs: 2}"}).train.epochs, 2);  // a new section
  EXPECT_EQ(error_of("data: {path: d.h5}\ntrain: {lr: 0.1}\n", {"train={epochs: 2, epochs: 3}"}),
            "--set train={epochs: 2, epochs: 3}: train.epochs: duplicate key");
  EXPECT_EQ(error_of(kMinimal, {"train=3"}), "x.yaml: train: expected a mapping, got \"3\"");  // replaced as before
}

TEST(Config, OnlyARegularFileOfAtMostOneMebibyteIsRead) {
  const gat::testing::TempDir dir;
  EXPECT_EQ(load_error(dir.path()), dir.path() + ": expected a YAML config file, got a directory");
  EXPECT_EQ(load_error("/dev/zero"), "/dev/zero: expected a YAML config file, got a character device");
  const std::string fifo = dir.file("fifo.yaml");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(load_error(fifo), fifo + ": expected a YAML config file, got a FIFO (named pipe)");  // without blocking
  const std::string big = dir.file("big.yaml");
  std::ofstream(big) << "data: {path: d.h5}\n" << std::string(2 << 20, '#');
  EXPECT_EQ(load_error(big), big + ": expected a YAML config file of at most 1.0 MiB, got 2.0 MiB");
}
