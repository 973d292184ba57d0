// YAML <-> Config. One field list per struct drives decoding, type checks, unknown-key rejection and
// emitting, so a new key is added in exactly one place (plus its default in config.h).
#include "config/config.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <type_traits>

#include "common/error.h"
#include "common/memory_limit.h"
#include "common/regular_file.h"
#include "config/choice_names.h"

namespace gat::config {
namespace {

template <class Visit>
void visit(DataConfig& c, Visit& v) {
  v("path", c.path);
  v("normalize_features", c.normalize_features);
  v("ignore_edges", c.ignore_edges);
  v("load", c.load);
  v("cache_mb", c.cache_mb);
  v("clusters_per_batch", c.clusters_per_batch);
}

template <class Visit>
void visit(ModelConfig& c, Visit& v) {
  v("hidden", c.hidden);
  v("heads", c.heads);
  v("input_dropout", c.input_dropout);
  v("projected_dropout", c.projected_dropout);
  v("dropout", c.dropout);
  v("negative_slope", c.negative_slope);
  v("residual", c.residual);
  v("norm", c.norm);
  v("add_self_loops", c.add_self_loops);
  v("bias", c.bias);
  v("attention", c.attention);
}

template <class Visit>
void visit(TrainConfig& c, Visit& v) {
  v("epochs", c.epochs);
  v("lr", c.lr);
  v("weight_decay", c.weight_decay);
  v("patience", c.patience);
  v("early_stopping", c.early_stopping);
  v("seed", c.seed);
  v("seeds", c.seeds);
  v("batch_graphs", c.batch_graphs);
  v("threads", c.threads);
  v("device", c.device);
  v("precision", c.precision);
  v("on_nonfinite", c.on_nonfinite);
  v("run_dir", c.run_dir);
  v("checkpoint_every", c.checkpoint_every);
  v("resume", c.resume);
}

template <class Visit>
void visit(DistConfig& c, Visit& v) {
  v("bucket_mb", c.bucket_mb);
  v("overlap", c.overlap);
  v("timeout_s", c.timeout_s);
  v("backend", c.backend);
  v("shares", c.shares);
}

template <class Visit>
void visit(Config& c, Visit& v) {
  v("data", c.data);
  v("model", c.model);
  v("train", c.train);
  v("dist", c.dist);
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "\"" + node.Scalar() + "\"";
  }
}

// Decodes a YAML mapping into a struct: every key must be a field, every value of the field's type.
class Decoder {
 public:
  Decoder(std::string source, std::string prefix, const YAML::Node& node)
      : source_(std::move(source)), prefix_(std::move(prefix)), node_(node) {}

  template <class Section>
  void decode(Section& section) {
    if (!node_.IsMap()) fail(prefix_.empty() ? "top level" : prefix_.substr(0, prefix_.size() - 1), "a mapping", node_);
    std::set<std::string> known;
    auto collect = [&](const char* name, auto&) { known.insert(name); };
    visit(section, collect);
    std::set<std::string> seen;
    for (const auto& item : node_) {
      if (!item.first.IsScalar()) {  // YAML allows `{a: 1}: 2` and `? [a]`; a section's keys are names
        const YAML::Mark at = item.first.Mark();
        throw Error(source_ + ":" + std::to_string(at.line + 1) + ":" + std::to_string(at.column + 1) + ": " +
                    (prefix_.empty() ? "top level" : prefix_.substr(0, prefix_.size() - 1)) +
                    ": expected key names, got " + describe(item.first) + " as a key");
      }
      const std::string key = item.first.Scalar();
      // yaml-cpp keeps both entries of a repeated key and node_[key] finds only the first.
      if (!seen.insert(key).second) {
        const YAML::Mark at = item.first.Mark();
        throw Error(source_ + ":" + std::to_string(at.line + 1) + ":" + std::to_string(at.column + 1) + ": " + prefix_ +
                    key + ": duplicate key");
      }
      if (!known.count(key)) {
        std::string expected;
        for (const auto& k : known) expected += (expected.empty() ? "" : ", ") + k;
        throw Error(source_ + ": " + prefix_ + key + ": unknown key (expected one of " + expected + ")");
      }
    }
    visit(section, *this);
  }

  template <class Field>
  void operator()(const char* name, Field& field) {
    const YAML::Node value = node_[name];
    if (value) read(prefix_ + name, value, field);
  }

 private:
  [[noreturn]] void fail(const std::string& key, const std::string& expected, const YAML::Node& got) const {
    throw Error(source_ + ": " + key + ": expected " + expected + ", got " + describe(got));
  }

  template <class Section, std::enable_if_t<!std::is_enum_v<Section>, int> = 0>
  void read(const std::string& key, const YAML::Node& value, Section& section) {
    Decoder(source_, key + ".", value).decode(section);
  }
  // A choice is a string from its table; the message lists the table's names.
  template <class Choice, std::enable_if_t<std::is_enum_v<Choice>, int> = 0>
  void read(const std::string& key, const YAML::Node& value, Choice& out) {
    if (!value.IsScalar()) fail(key, "a string", value);
    std::string names;
    for (const auto& entry : choice_names<Choice>()) {
      if (value.Scalar() == entry.name) {
        out = entry.value;
        return;
      }
      names += (names.empty() ? "" : ", ") + std::string(entry.name);
    }
    fail(key, "one of " + names, value);
  }
  void read(const std::string& key, const YAML::Node& value, std::string& out) {
    if (!value.IsScalar()) fail(key, "a string", value);
    out = value.Scalar();
  }
  void read(const std::string& key, const YAML::Node& value, bool& out) {
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, out)) fail(key, "true or false", value);
  }
  void read(const std::string& key, const YAML::Node& value, int64_t& out) {
    if (!value.IsScalar() || !YAML::convert<int64_t>::decode(value, out)) fail(key, "an integer", value);
  }
  void read(const std::string& key, const YAML::Node& value, double& out) {
    if (!value.IsScalar() || !YAML::convert<double>::decode(value, out) || !std::isfinite(out))
      fail(key, "a number", value);
  }
  void read(const std::string& key, const YAML::Node& value, std::vector<int64_t>& out) {
    if (!value.IsSequence()) fail(key, "a list of integers", value);
    out.clear();
    for (std::size_t i = 0; i < value.size(); ++i) {
      int64_t item = 0;
      read(key + "[" + std::to_string(i) + "]", value[i], item);
      out.push_back(item);
    }
  }

  std::string source_;
  std::string prefix_;
  YAML::Node node_;
};

// Emits every field, in declaration order.
class Emitter {
 public:
  explicit Emitter(YAML::Emitter& out) : out_(out) {}
  template <class Field>
  void operator()(const char* name, Field& field) {
    out_ << YAML::Key << name << YAML::Value;
    write(field);
  }

 private:
  template <class Section, std::enable_if_t<!std::is_enum_v<Section>, int> = 0>
  void write(Section& section) {
    out_ << YAML::BeginMap;
    visit(section, *this);
    out_ << YAML::EndMap;
  }
  template <class Choice, std::enable_if_t<std::is_enum_v<Choice>, int> = 0>
  void write(Choice& choice) {
    out_ << YAML::DoubleQuoted << std::string(name_of(choice));
  }
  void write(std::string& s) { out_ << YAML::DoubleQuoted << s; }
  void write(bool& b) { out_ << YAML::TrueFalseBool << b; }
  void write(int64_t& i) { out_ << i; }
  // The shortest of 15 or 17 significant digits that reads back as the same double.
  void write(double& d) {
    std::ostringstream s;
    s.precision(15);
    s << d;
    if (std::stod(s.str()) != d) {
      s.str("");
      s.precision(17);
      s << d;
    }
    out_ << s.str();
  }
  void write(std::vector<int64_t>& v) { out_ << YAML::Flow << v; }

  YAML::Emitter& out_;
};

// Sets `value`'s keys in mapping `target`, merging mappings into mappings key by key, so that
// `--set 'train={epochs: 2}'` changes epochs and keeps what the file and earlier --sets gave.
void merge_mapping(YAML::Node target, const YAML::Node& value, const std::string& text, const std::string& key) {
  std::set<std::string> seen;
  for (const auto& item : value) {
    // A key that is not a name is the decoder's to refuse, with its usual message.
    if (!item.first.IsScalar()) {
      target[item.first] = item.second;
      continue;
    }
    const std::string name = item.first.Scalar();
    if (!seen.insert(name).second) throw Error("--set " + text + ": " + key + "." + name + ": duplicate key");
    YAML::Node existing = target[name];
    if (item.second.IsMap() && existing.IsDefined() && existing.IsMap())
      merge_mapping(existing, item.second, text, key + "." + name);
    else
      target[name] = item.second;
  }
}

// "a.b=value": sets node[a][b] to the YAML value, creating mappings on the way; a mapping value
// is merged into an existing mapping (merge_mapping).
void apply_override(YAML::Node& root, const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw Error("--set " + text + ": expected KEY=VALUE, e.g. train.lr=0.01");
  const std::string key = text.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw Error("--set " + text + ": value is not valid YAML: " + e.msg);
  }
  std::vector<std::string> parts;
  std::stringstream path(key);
  for (std::string part; std::getline(path, part, '.');) {
    if (part.empty()) throw Error("--set " + text + ": empty part in key " + key);
    parts.push_back(part);
  }
  // yaml-cpp nodes are handles: walking with operator[] on copies edits the tree in place.
  std::vector<YAML::Node> chain{root};
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (next.IsDefined() && !next.IsMap()) throw Error("--set " + text + ": " + parts[i] + " is not a mapping");
    if (!next.IsDefined()) chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
    chain.push_back(chain.back()[parts[i]]);
  }
  YAML::Node target = chain.back()[parts.back()];
  if (value.IsMap() && target.IsDefined() && target.IsMap())
    merge_mapping(target, value, text, key);
  else
    chain.back()[parts.back()] = value;
}

// Bounds of values that become narrower types; validate() gives the reasons.
constexpr double kMaxLr = 1e37;
constexpr double kMaxWeightDecay = 1e38;
constexpr int64_t kMaxSeed = int64_t{1} << 53;
constexpr double kMaxBucketMb = 1e12;  // about 1.05e18 bytes, under int64's 9.2e18 (also data.cache_mb)
constexpr double kMaxTimeoutS = 1e9;

void require(bool ok, const std::string& source, const std::string& key, const std::string& expected,
             const std::string& got) {
  if (!ok) throw Error(source + ": " + key + ": expected " + expected + ", got " + got);
}

std::string str(double d) {
  std::ostringstream s;
  s << d;
  return s.str();
}

std::string str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// A config file is a few hundred bytes; a far larger one is the wrong file.
constexpr std::uintmax_t kMaxConfigBytes = 1 << 20;

// Records where each document starts and ignores its content.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { last = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  YAML::Mark last = YAML::Mark::null_mark();
};

// Where a second document starts in `yaml` (at its `---`; its root node may lie lines further
// down), if there is one: YAML::Load reads the first and drops the others unseen. Two steps of
// the parser, not YAML::LoadAll, which loops for ever on some malformed input (yaml-cpp 0.7:
// a stray token makes every further step return a new, empty document without consuming it).
std::optional<YAML::Mark> second_document(const std::string& yaml) {
  std::istringstream in(yaml);
  YAML::Parser parser(in);
  DocumentStarts starts;
  parser.HandleNextDocument(starts);
  if (!parser.HandleNextDocument(starts)) return std::nullopt;
  return starts.last;
}

void validate(const Config& c, const std::string& src) {
  require(!c.data.path.empty(), src, "data.path", "the path of a gat-graphs HDF5 file", "nothing");
  const ModelConfig& m = c.model;
  require(
      m.heads.size() == m.hidden.size() + 1, src, "model.heads",
      "one entry per hidden layer plus one for the output layer (" + std::to_string(m.hidden.size() + 1) + " entries)",
      str(m.heads));
  // ops/dropout.cpp keys each layer's masks by its index, in 6 bits.
  require(m.heads.size() <= 64, src, "model.heads", "at most 64 layers", std::to_string(m.heads.size()) + " entries");
  for (std::size_t i = 0; i < m.hidden.size(); ++i)
    require(m.hidden[i] > 0, src, "model.hidden[" + std::to_string(i) + "]", "an integer > 0",
            std::to_string(m.hidden[i]));
  for (std::size_t i = 0; i < m.heads.size(); ++i)
    require(m.heads[i] > 0, src, "model.heads[" + std::to_string(i) + "]", "an integer > 0",
            std::to_string(m.heads[i]));
  require(m.input_dropout >= 0 && m.input_dropout < 1, src, "model.input_dropout", "a number in [0, 1)",
          str(m.input_dropout));
  require(m.projected_dropout >= 0 && m.projected_dropout < 1, src, "model.projected_dropout", "a number in [0, 1)",
          str(m.projected_dropout));
  require(m.dropout >= 0 && m.dropout < 1, src, "model.dropout", "a number in [0, 1)", str(m.dropout));
  require(m.negative_slope >= 0, src, "model.negative_slope", "a number >= 0", str(m.negative_slope));
  const TrainConfig& t = c.train;
  require(t.epochs > 0, src, "train.epochs", "an integer > 0", std::to_string(t.epochs));
  require(t.lr > 0, src, "train.lr", "a number > 0", str(t.lr));
  // Adam's step size is lr / (1 - beta1^t), 10 x lr at the first step, and LibTorch makes it a
  // float32 scalar: beyond float32's 3.4e38 the step fails. The bound keeps a margin under that.
  require(t.lr <= kMaxLr, src, "train.lr", "at most " + str(kMaxLr) + " (Adam's first step, 10 x lr, is a float32)",
          str(t.lr));
  require(t.weight_decay >= 0, src, "train.weight_decay", "a number >= 0", str(t.weight_decay));
  require(t.weight_decay <= kMaxWeightDecay, src, "train.weight_decay",
          "at most " + str(kMaxWeightDecay) + " (Adam applies it as a float32)", str(t.weight_decay));
  require(t.patience > 0, src, "train.patience", "an integer > 0", std::to_string(t.patience));
  require(t.seed >= 0, src, "train.seed", "an integer >= 0", std::to_string(t.seed));
  require(t.seeds > 0, src, "train.seeds", "an integer > 0", std::to_string(t.seeds));
  // Seed k is seed + k, and seeds travel between ranks in float64 rows (train/trainer.cpp, to_row):
  // the last seed must be exact there, so at most 2^53, which also keeps seed + k from overflowing.
  require(t.seeds <= kMaxSeed, src, "train.seeds", "an integer <= 2^53 = " + std::to_string(kMaxSeed),
          std::to_string(t.seeds));
  require(t.seed <= kMaxSeed - (t.seeds - 1), src, "train.seed",
          "an integer in [0, " + std::to_string(kMaxSeed - (t.seeds - 1)) +
              "] (the last seed, train.seed + train.seeds - 1, must be at most 2^53: seeds travel as float64)",
          std::to_string(t.seed));
  require(t.batch_graphs > 0, src, "train.batch_graphs", "an integer > 0", std::to_string(t.batch_graphs));
  require(t.threads >= 0, src, "train.threads", "an integer >= 0 (0 = all available cores)", std::to_string(t.threads));
  require(t.checkpoint_every >= 0, src, "train.checkpoint_every", "an integer >= 0 (0 = only on SIGTERM/SIGUSR1)",
          std::to_string(t.checkpoint_every));
  require(c.data.cache_mb >= 0, src, "data.cache_mb", "a number >= 0", str(c.data.cache_mb));
  require(c.data.clusters_per_batch >= 0, src, "data.clusters_per_batch",
          "an integer >= 0 (0 = the whole graph each step)", std::to_string(c.data.clusters_per_batch));
  require(c.data.cache_mb <= kMaxBucketMb, src, "data.cache_mb",
          "at most " + str(kMaxBucketMb) + " (the size in bytes is an int64)", str(c.data.cache_mb));
  require(c.dist.bucket_mb > 0, src, "dist.bucket_mb", "a number > 0", str(c.dist.bucket_mb));
  require(c.dist.bucket_mb <= kMaxBucketMb, src, "dist.bucket_mb",
          "at most " + str(kMaxBucketMb) + " (the size in bytes is an int64)", str(c.dist.bucket_mb));
  require(c.dist.timeout_s >= 0, src, "dist.timeout_s", "a number of seconds >= 0 (0 = no limit)",
          str(c.dist.timeout_s));
  // The deadline is a steady_clock time point, int64 nanoseconds: 1e9 s (31 years) keeps it in range.
  require(c.dist.timeout_s <= kMaxTimeoutS, src, "dist.timeout_s",
          "at most " + str(kMaxTimeoutS) + " seconds (0 = no limit)", str(c.dist.timeout_s));
}

}  // namespace

Config parse_config(const std::string& yaml, const std::string& source, const std::vector<std::string>& overrides) {
  YAML::Node root;
  std::optional<YAML::Mark> second;
  try {
    root = YAML::Load(yaml);
    second = second_document(yaml);
  } catch (const YAML::Exception& e) {
    throw Error(source + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                ": YAML syntax error: " + e.msg);
  }
  if (second) {
    // A `---` starts a second document; anything else there is content the first one could not
    // take (a stray `,`, or a mapping after `...`), which YAML::Load dropped just as silently.
    const bool marker = second->pos >= 0 && static_cast<std::size_t>(second->pos) < yaml.size() &&
                        yaml.compare(second->pos, 3, "---") == 0;
    throw Error(source + ":" + std::to_string(second->line + 1) + ":" + std::to_string(second->column + 1) +
                (marker ? ": a second YAML document starts here; expected one document (one mapping of sections)"
                        : ": YAML syntax error: content after the end of the document"));
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap())
    throw Error(source + ": expected a mapping of sections (data, model, train, dist), got " + describe(root));
  for (const auto& o : overrides) apply_override(root, o);
  Config config;
  Decoder(source, "", root).decode(config);
  validate(config, source);
  return config;
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  // Before opening: a FIFO would block the open, /dev/zero would be read forever.
  if (auto error = special_file_error(path, "a YAML config file")) throw *error;
  std::error_code size_error;
  const std::uintmax_t size = std::filesystem::file_size(path, size_error);
  if (!size_error && size > kMaxConfigBytes)
    throw Error(path + ": expected a YAML config file of at most " + human_bytes(kMaxConfigBytes) + ", got " +
                human_bytes(static_cast<double>(size)));
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot read config file");
  std::stringstream text;
  text << in.rdbuf();
  Config config = parse_config(text.str(), path, overrides);
  if (config.train.run_dir.empty()) config.train.run_dir = "runs/" + std::filesystem::path(path).stem().string();
  return config;
}

std::string to_yaml(const Config& config) {
  Config copy = config;  // the field list is written once, for mutable structs
  YAML::Emitter out;
  Emitter emit(out);
  out << YAML::BeginMap;
  visit(copy, emit);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace gat::config
