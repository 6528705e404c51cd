"""The CIFAR-style ResNet of He et al. (2016) for 1x28x28 inputs, as the Rust engine builds it:
3x3 stem (16*width channels) + BN + ReLU, three stages of `n` basic blocks (16/32/64 times
width channels, stride 1/2/2), projection shortcuts (1x1 conv, stride 2, + BN) where the shape
changes, global average pooling and a linear classifier. ResNet-8/20/56: n = 1/3/9.
Parameter names are the state_dict names the Rust model uses."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, blocks_per_stage=1, width=1, classes=10, in_channels=1):
        super().__init__()
        c = [16 * width, 32 * width, 64 * width]
        self.conv1 = nn.Conv2d(in_channels, c[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c[0])
        layers, cin = [], c[0]
        for i, cout in enumerate(c):
            blocks = []
            for b in range(blocks_per_stage):
                blocks.append(BasicBlock(cin, cout, 2 if (i > 0 and b == 0) else 1))
                cin = cout
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.fc = nn.Linear(c[2], classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(out)
