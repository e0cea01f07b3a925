import KlingCore

/// One video generation request, in terms no provider owns: the embedded client maps it to
/// each provider's wire format.
public struct VideoJob: Sendable, Hashable {
    public var provider: Provider
    public var kind: VideoKind
    /// The model; `nil` for the provider's default.
    public var model: String?
    /// `std` or `pro`; `nil` for the provider's default.
    public var mode: Mode?
    public var durationSeconds: Int
    public var sound: Bool
    public var aspectRatio: AspectRatio?
    /// What to generate; required for text2video unless the job is multi-shot.
    public var prompt: String?
    public var negativePrompt: String?
    /// How closely to follow the prompt, in [0, 1]. Not supported by kling-v2.x models.
    public var cfgScale: Double?
    public var cameraControl: CameraControl?
    /// The first frame for image2video: an http(s) URL or raw base64 (no `data:` prefix).
    public var image: String?
    /// The last frame for image2video, same forms as `image`.
    public var imageTail: String?
    /// The video to extend (kind `extend`).
    public var videoID: String?
    /// Shots of a multi-shot video (kling-v3): when set, `prompt` is not used.
    public var shots: [Shot]?
    /// Whether the provider adds its watermark (official API and KKIAI).
    public var watermark: Bool?
    /// Where the provider posts status changes.
    public var callbackURL: String?
    /// A caller-chosen id, unique per account, by which the official API can find the task.
    public var externalTaskID: String?

    public init(
        provider: Provider, kind: VideoKind = .text2video, model: String? = nil, mode: Mode? = nil,
        durationSeconds: Int = 5, sound: Bool = false, aspectRatio: AspectRatio? = nil, prompt: String? = nil,
        negativePrompt: String? = nil, cfgScale: Double? = nil, cameraControl: CameraControl? = nil,
        image: String? = nil, imageTail: String? = nil, videoID: String? = nil, shots: [Shot]? = nil,
        watermark: Bool? = nil, callbackURL: String? = nil, externalTaskID: String? = nil
    ) {
        self.provider = provider
        self.kind = kind
        self.model = model
        self.mode = mode
        self.durationSeconds = durationSeconds
        self.sound = sound
        self.aspectRatio = aspectRatio
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.cfgScale = cfgScale
        self.cameraControl = cameraControl
        self.image = image
        self.imageTail = imageTail
        self.videoID = videoID
        self.shots = shots
        self.watermark = watermark
        self.callbackURL = callbackURL
        self.externalTaskID = externalTaskID
    }

    /// The fields that decide the price.
    public var billable: BillableJob {
        BillableJob(provider: provider, kind: kind, model: model, mode: mode, durationSeconds: durationSeconds, sound: sound)
    }
}

/// The frame shapes the providers accept.
public enum AspectRatio: String, CaseIterable, Sendable, Codable {
    case landscape = "16:9"
    case portrait = "9:16"
    case square = "1:1"
}

/// One shot of a multi-shot video.
public struct Shot: Sendable, Hashable, Codable {
    public var prompt: String
    public var durationSeconds: Int

    public init(prompt: String, durationSeconds: Int) {
        self.prompt = prompt
        self.durationSeconds = durationSeconds
    }
}

/// A camera movement. `simple` takes a configuration with exactly one non-zero axis in
/// [−10, 10]; the predefined movements take none.
public struct CameraControl: Sendable, Hashable {
    public enum Movement: String, CaseIterable, Sendable {
        case simple
        case downBack = "down_back"
        case forwardUp = "forward_up"
        case rightTurnForward = "right_turn_forward"
        case leftTurnForward = "left_turn_forward"
    }

    /// The six axes of a `simple` movement.
    public struct Config: Sendable, Hashable {
        public var horizontal: Double = 0
        public var vertical: Double = 0
        public var pan: Double = 0
        public var tilt: Double = 0
        public var roll: Double = 0
        public var zoom: Double = 0

        public init(horizontal: Double = 0, vertical: Double = 0, pan: Double = 0, tilt: Double = 0, roll: Double = 0, zoom: Double = 0) {
            self.horizontal = horizontal
            self.vertical = vertical
            self.pan = pan
            self.tilt = tilt
            self.roll = roll
            self.zoom = zoom
        }

        /// Sets the axis with this wire name; `false` when no axis has it.
        public mutating func set(_ name: String, to value: Double) -> Bool {
            switch name {
            case "horizontal": horizontal = value
            case "vertical": vertical = value
            case "pan": pan = value
            case "tilt": tilt = value
            case "roll": roll = value
            case "zoom": zoom = value
            default: return false
            }
            return true
        }

        /// The axes by wire name, in the documented order.
        public var axes: [(name: String, value: Double)] {
            [("horizontal", horizontal), ("vertical", vertical), ("pan", pan), ("tilt", tilt), ("roll", roll), ("zoom", zoom)]
        }
    }

    public var movement: Movement
    public var config: Config?

    public init(movement: Movement, config: Config? = nil) {
        self.movement = movement
        self.config = config
    }
}
